"""`python -m openai_simulator`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests

from openai_simulator.__main__ import build_parser, config_from_args

ROOT = Path(__file__).resolve().parents[2]


def test_help_explains_every_flag() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "openai_simulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for flag in (
        "--port",
        "--seed",
        "--now",
        "--orgs",
        "--projects",
        "--users",
        "--history-days",
        "--large",
        "--price-drift",
        "--faults",
        "--ground-truth",
        "--no-extras",
        "--number-amounts",
        "--print-prices",
    ):
        assert flag in out


def test_flags_build_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--seed",
            "5",
            "--now",
            "2026-03-10T09:30:00Z",
            "--orgs",
            "3",
            "--projects",
            "4",
            "--users",
            "9",
            "--history-days",
            "40",
            "--price-drift",
            "0.02",
            "--no-extras",
        ]
    )
    config = config_from_args(args)
    orgs = config.resolved_organizations()
    assert (config.seed, config.history_days, str(config.price_drift), config.extras) == (
        5,
        40,
        "0.02",
        False,
    )
    assert [(o.projects, o.users) for o in orgs] == [(4, 9)] * 3
    assert config.now.isoformat() == "2026-03-10T09:30:00+00:00"
    large = config_from_args(build_parser().parse_args(["--large", "--now", "2026-03-10T00:00:00"]))
    assert [(o.projects, o.users) for o in large.resolved_organizations()] == [(100, 1000)]
    assert large.history_days == 365


def test_serves_prints_url_and_keys_and_writes_ground_truth(tmp_path: Path) -> None:
    truth = tmp_path / "truth.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openai_simulator",
            "--port",
            "0",
            "--seed",
            "7",
            "--now",
            "2026-03-10T09:30:00Z",
            "--faults",
            "429=0.0",
            "--ground-truth",
            str(truth),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        orgs = [proc.stdout.readline().split() for _ in range(2)]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        assert all(org_id.startswith("org-") and key.startswith("sk-admin-sim-") for org_id, key in orgs)
        r = requests.get(
            f"{base_url}/organization/projects", headers={"Authorization": f"Bearer {orgs[1][1]}"}, timeout=10
        )
        assert r.status_code == 200 and r.headers["openai-organization"] == orgs[1][0]
        assert len(json.loads(truth.read_text())["anomalies"]) == 10
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_print_prices_is_the_price_table_csv() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "openai_simulator", "--print-prices"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0] == "line_item,product,model,token_type,service_tier,batch,quantity_unit,price_usd,per_units"
    assert (
        '"gpt-4o-2024-08-06, input",completions,gpt-4o-2024-08-06,input,default,false,tokens,2.50,1000000'
        in out
    )
    assert "web search tool calls,web_search_calls,,call,,false,calls,10.00,1000" in out
