"""The surfaces on a bad warehouse or profile: one clear line, the right exit code, no password."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from loader import cli
from openai_finops_surfaces.warehouse import (
    Target,
    Warehouse,
    WarehouseConfigError,
    WarehouseError,
    target_from_profile,
)

PROFILE = """openai_finops:
  target: postgres
  outputs:
    postgres:
      type: postgres
      host: 127.0.0.1
      port: "{{{{ env_var('TEST_PG_PORT') | as_number }}}}"
      user: postgres
      password: "{password}"
      dbname: openai_finops
"""


def _profiles(tmp_path: Path, password: str) -> Path:
    (tmp_path / "profiles.yml").write_text(PROFILE.format(password=password), encoding="utf-8")
    return tmp_path


def test_a_password_that_does_not_render_is_not_shown(tmp_path: Path) -> None:
    with pytest.raises(WarehouseConfigError) as raised:
        target_from_profile(profiles_dir=_profiles(tmp_path, "S3cr{%et"), environ={"TEST_PG_PORT": "5432"})
    assert "S3cr" not in str(raised.value)
    assert "openai_finops.outputs.postgres.password" in str(raised.value)


def test_a_port_that_is_not_a_number_is_named(tmp_path: Path) -> None:
    with pytest.raises(WarehouseConfigError) as raised:
        target_from_profile(profiles_dir=_profiles(tmp_path, "pw"), environ={"TEST_PG_PORT": "abc"})
    assert str(raised.value) == "openai_finops.outputs.postgres.port: not a number (as_number)"


def test_a_server_that_refuses_is_one_line_without_the_password(tmp_path: Path) -> None:
    target = target_from_profile(profiles_dir=_profiles(tmp_path, "pw-9f3k2"), environ={"TEST_PG_PORT": "1"})
    with pytest.raises(WarehouseConfigError) as raised, Warehouse.open(target):
        pass
    message = str(raised.value)
    assert message.startswith("cannot connect to PostgreSQL database openai_finops on 127.0.0.1:1: ")
    assert "\n" not in message and "pw-9f3k2" not in message


def test_a_file_that_is_not_duckdb_is_a_warehouse_error(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(WarehouseError) as raised, Warehouse.open(Target.duckdb(path), read_only=True):
        pass
    assert str(raised.value).startswith(f"cannot open {path}: ")
    assert "\n" not in str(raised.value)


def test_the_report_exits_1_with_one_line_on_a_broken_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(b"not a database" * 100)
    monkeypatch.setenv("OPENAI_FINOPS_DUCKDB", str(path))
    assert cli.main(["report", "--out", str(tmp_path / "r.html")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("python -m loader report: error: cannot open ")


def test_options_before_a_surface_subcommand_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--demo", "report"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        "python -m loader: error: put options after the subcommand: python -m loader report [options] "
        "(see --help)\n"
    )


@pytest.mark.parametrize("argv", [["--demo", "load"], ["load", "--demo"], ["--demo"]])
def test_load_options_count_before_and_after_load(argv: list[str]) -> None:
    args: argparse.Namespace = cli.build_parser().parse_args(argv)
    assert args.demo is True
