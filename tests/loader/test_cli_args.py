"""Bad flags, dates and configuration: one line on stderr, exit code 2, nothing loaded."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from loader import cli

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--start", "2026-13-01"], "invalid date '2026-13-01'"),
        (["--end", "yesterday"], "invalid date 'yesterday'"),
        (["--bucket-width", "5m"], "argument --bucket-width: invalid choice: '5m'"),
        (["--lookback-days", "-1"], "expected a whole number of days >= 0"),
        (["--endpoints", "completions,bogus"], "unknown endpoint 'bogus'"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
        (["--quiet", "--verbose"], "not allowed with argument"),
        (["--full-refresh", "--org", "acme"], "do not combine it with --org"),
    ],
)
def test_bad_flags_exit_2_with_one_line(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("python -m loader: error: ")
    assert fragment in lines[0]


def test_start_after_end_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-unused-0000")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-unused")
    assert cli.main(["--start", "2026-03-10", "--end", "2026-03-01"]) == 2
    assert capsys.readouterr().err.strip() == (
        "python -m loader: error: --start 2026-03-10 is after --end 2026-03-01"
    )


def test_no_organization_configured_exits_2(tmp_path: Path) -> None:
    # An empty dlt project dir, so a developer's own .dlt/secrets.toml cannot configure anything.
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DLT_PROJECT_DIR": str(tmp_path),
        "OPENAI_FINOPS_DUCKDB": str(tmp_path / "w.duckdb"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "loader"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "python -m loader: error: no organizations configured: set OPENAI_ADMIN_KEY, or add "
        "[sources.openai.organizations.<name>] admin_key to .dlt/secrets.toml"
    ]
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"SOURCES__OPENAI__ORGANIZATIONS__ACME__ADMIN_KEY": "sk-admin-0123456789"},
            "organization acme has no org_id: set [sources.openai.organizations.acme] org_id in "
            ".dlt/config.toml or SOURCES__OPENAI__ORGANIZATIONS__ACME__ORG_ID; find it at "
            "platform.openai.com > Settings > Organization > General, 'Organization ID' (org-...)",
        ),
        (
            {"OPENAI_ADMIN_KEY": "sk-admin-0123456789", "OPENAI_ORG_ID": "acme"},
            "OPENAI_ORG_ID = 'acme' is not an organization id (org-...); find it at "
            "platform.openai.com > Settings > Organization > General, 'Organization ID' (org-...)",
        ),
    ],
)
def test_an_organization_without_its_id_exits_2(tmp_path: Path, extra: dict[str, str], expected: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DLT_PROJECT_DIR": str(tmp_path)}
    env["OPENAI_FINOPS_DUCKDB"] = str(tmp_path / "w.duckdb")
    command = [sys.executable, "-m", "loader"]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env | extra, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"python -m loader: error: {expected}"]
    assert "0123456789" not in done.stderr  # the key is never shown
    assert not (tmp_path / "w.duckdb").exists()


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in (
        "--demo",
        "--org",
        "--endpoints",
        "--start",
        "--end",
        "--bucket-width",
        "--lookback-days",
        "--full-refresh",
        "--destination",
        "--quiet",
        "--verbose",
    ):
        assert flag in text
    # every subcommand with its line of help, and the --demo's own warehouse
    listed = dict(re.findall(r"^    ([a-z]+) +(.+)$", text.split("subcommands:")[1], flags=re.MULTILINE))
    assert sorted(listed) == ["alerts", "load", "report", "simulate", "summary"]
    assert listed["load"].startswith("load usage, costs and names into the warehouse")
    assert listed["alerts"].startswith("send budget, anomaly and failed-load alerts")
    assert listed["report"].startswith("write the HTML spend report")
    assert listed["summary"].startswith("print the marts' summary")
    assert listed["simulate"].startswith("serve the simulated OpenAI organizations")
    assert "warehouse/demo.duckdb" in " ".join(text.split())
