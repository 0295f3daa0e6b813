"""Merge semantics and exact decimals on hand-written costs payloads (a stub server, offline)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from loader_stub_api import DAY, CostsStub, serve_costs

from loader.pipeline import make_pipeline, remove_duplicate_rows, run_load
from loader.settings import LoaderSettings, Organization, RetryPolicy

D1 = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())
D2, D3 = D1 + DAY, D1 + 2 * DAY
ORG = Organization(name="stub", org_id="org-stub", admin_key="sk-admin-stub-key-0001")


def _settings(base_url: str, tmp_path: Path) -> LoaderSettings:
    return LoaderSettings(
        organizations=(ORG,),
        base_url=base_url,
        endpoints=("costs",),
        start=date(2026, 1, 5),
        end=date(2026, 1, 7),
        duckdb_path=tmp_path / "w.duckdb",
        pipelines_dir=tmp_path / "pipelines",
        now=datetime(2026, 1, 10, tzinfo=UTC),
        retry=RetryPolicy(sleep_scale=0.001),
    )


def _result(line_item: str, value: str, **extra: str) -> str:
    fields = "".join(f', "{name}": {text}' for name, text in extra.items())
    return (
        '{"object": "organization.costs.result", "amount": {"value": ' + value + ', "currency": "usd"}, '
        f'"line_item": "{line_item}", "project_id": "proj_a"{fields}}}'
    )


def _rows(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(
            "select cast(bucket_start_at as date), group_by, line_item, amount__value "
            "from openai_raw.costs where group_by = 'line_item,project_id' order by all"
        ).fetchall()


def test_amounts_are_exact_decimals_whatever_the_json_type(tmp_path: Path) -> None:
    stub = CostsStub()
    stub.days[D1] = (
        "["
        + ", ".join(
            [
                _result("a, input", "0.00012073404268330895"),
                _result("b, input", '"0.000004500000000000000000000000000000000"'),
                _result("c, input", '"0E-6176"'),
                _result("d, input", "12", quantity="1234.5", quantity_unit='"tokens"'),
                # Undocumented field, and optional keys missing entirely (quirk #5).
                '{"object": "organization.costs.result", "amount": {"value": "7.25", "currency": "usd"}, '
                '"line_item": "e, output", "project_name": "Alpha"}',
            ]
        )
        + "]"
    )
    with serve_costs(stub) as base_url:
        result = run_load(_settings(base_url, tmp_path))
    assert result.ok
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        types = dict(
            con.sql(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'openai_raw' and table_name = 'costs'"
            ).fetchall()
        )
        rows = con.sql(
            "select line_item, amount__value, quantity, quantity_unit, project_id, project_name "
            "from openai_raw.costs where group_by = 'line_item,project_id' order by line_item"
        ).fetchall()
    assert types["amount__value"] == "DECIMAL(38,18)"
    assert types["quantity"] == "DECIMAL(38,9)"
    assert not [name for name in types if "__v_" in name]  # never a variant column
    assert rows == [
        ("a, input", Decimal("0.000120734042683309"), None, None, "proj_a", None),
        ("b, input", Decimal("0.000004500000000000"), None, None, "proj_a", None),
        ("c, input", Decimal("0E-18"), None, None, "proj_a", None),
        ("d, input", Decimal("12.000000000000000000"), Decimal("1234.500000000"), "tokens", "proj_a", None),
        ("e, output", Decimal("7.250000000000000000"), None, None, None, "Alpha"),
    ]


def test_restated_bucket_replaces_rows_and_empty_bucket_clears_them(tmp_path: Path) -> None:
    stub = CostsStub()
    stub.days[D1] = f"[{_result('a', '1.5')}, {_result('b', '2.5')}]"
    stub.days[D2] = f"[{_result('a', '3')}]"
    stub.days[D3] = f"[{_result('a', '4')}]"
    with serve_costs(stub) as base_url:
        assert run_load(_settings(base_url, tmp_path)).ok
        assert len(_rows(tmp_path / "w.duckdb")) == 4
        # Day 1 restated with one row gone, day 2 now empty, day 3 missing from the response.
        stub.days[D1] = f"[{_result('a', '1.25')}]"
        stub.days[D2] = "[]"
        stub.missing.add(D3)
        assert run_load(_settings(base_url, tmp_path)).ok
    assert _rows(tmp_path / "w.duckdb") == [
        (date(2026, 1, 5), "line_item,project_id", "a", Decimal("1.250000000000000000")),
    ]


def test_rows_duplicated_by_a_resumed_load_are_removed(tmp_path: Path) -> None:
    stub = CostsStub()
    stub.days[D1] = f"[{_result('a', '1.5')}, {_result('b', '2.5')}]"
    with serve_costs(stub) as base_url:
        settings = _settings(base_url, tmp_path)
        assert run_load(settings).ok
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        # What a copy job re-run after its insert committed would leave behind.
        con.execute("insert into openai_raw.costs select * from openai_raw.costs where line_item = 'a'")
    assert len(_rows(db)) == 3
    assert remove_duplicate_rows(make_pipeline(settings)) == 2  # both group-by sets had an 'a' row
    assert _rows(db) == [
        (date(2026, 1, 5), "line_item,project_id", "a", Decimal("1.500000000000000000")),
        (date(2026, 1, 5), "line_item,project_id", "b", Decimal("2.500000000000000000")),
    ]


def test_a_long_window_loads_a_week_at_a_time_and_resumes_after_its_last_loaded_week(tmp_path: Path) -> None:
    stub = CostsStub()
    stub.days[D1] = f"[{_result('a', '1')}]"
    stub.days[D1 + 45 * DAY] = f"[{_result('a', '2')}]"
    stub.failing_from = D1 + 21 * DAY  # the fourth week fails for good
    settings = replace(
        _settings(base_url="", tmp_path=tmp_path),
        end=date(2026, 2, 28),
        now=datetime(2026, 3, 1, tzinfo=UTC),
        bucket_width="1h",  # slices of 7 days (one 1h usage page); costs are 1d whatever the width
    )
    with serve_costs(stub) as base_url:
        failed = run_load(replace(settings, base_url=base_url))
        assert failed.loaded and not failed.ok
        # Week by week for both group-by sets; after the failing week nothing more is asked for.
        assert set(stub.windows) == {(D1 + week * 7 * DAY, D1 + (week + 1) * 7 * DAY) for week in range(4)}
        assert [row[0] for row in _rows(tmp_path / "w.duckdb")] == [date(2026, 1, 5)]

        stub.failing_from = None
        stub.windows.clear()
        resumed = run_load(replace(settings, base_url=base_url, start=None))
    assert resumed.ok
    # From the last loaded bucket (Jan 25) minus the 3-day lookback, a week at a time, to Mar 1.
    mar1 = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    starts = range(D1 + 17 * DAY, mar1, 7 * DAY)
    assert sorted(set(stub.windows)) == [(start, min(start + 7 * DAY, mar1)) for start in starts]
    assert [row[0] for row in _rows(tmp_path / "w.duckdb")] == [date(2026, 1, 5), date(2026, 2, 19)]


def test_full_refresh_drops_what_the_new_window_does_not_cover(tmp_path: Path) -> None:
    stub = CostsStub()
    stub.days[D1] = f"[{_result('a', '1')}]"
    stub.days[D2] = f"[{_result('a', '2')}]"
    with serve_costs(stub) as base_url:
        assert run_load(_settings(base_url, tmp_path)).ok
        assert len(_rows(tmp_path / "w.duckdb")) == 2
        refresh = replace(_settings(base_url, tmp_path), start=date(2026, 1, 6), full_refresh=True)
        assert run_load(refresh).ok
    assert _rows(tmp_path / "w.duckdb") == [
        (date(2026, 1, 6), "line_item,project_id", "a", Decimal("2.000000000000000000")),
    ]


def test_a_new_warehouse_gets_the_full_backfill_not_the_old_state(tmp_path: Path) -> None:
    stub = CostsStub()
    stub.days[D1] = f"[{_result('a', '1')}]"
    stub.days[D1 + 12 * DAY] = f"[{_result('a', '2')}]"
    with serve_costs(stub) as base_url:
        first = replace(
            _settings(base_url, tmp_path),
            start=None,
            end=None,
            backfill_days=15,
            now=datetime(2026, 1, 20, tzinfo=UTC),
        )
        assert run_load(first).ok
        # Same pipelines dir (same local state), another warehouse file.
        assert run_load(replace(first, duckdb_path=tmp_path / "other.duckdb")).ok
    assert _rows(tmp_path / "other.duckdb") == _rows(tmp_path / "w.duckdb")
    assert [row[0] for row in _rows(tmp_path / "other.duckdb")] == [date(2026, 1, 5), date(2026, 1, 17)]
