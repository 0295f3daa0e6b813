"""Staging views keep one row per raw row: the one from the newest dlt load.

The loader's merge normally leaves one copy of each row in the raw tables, so the demo warehouse
never exercises this. Here older and newer copies of real rows are written into a copy of it by
hand, and the views must pick the newest one (load ids compared as numbers, not as text).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from conftest import DemoWarehouse

OLDER_LOAD = "999999999.5"  # as text it sorts after every real load id ("17..."), as a number before
NEWER_LOAD = "10000000000.25"  # as text it sorts before them, as a number after


def test_staging_keeps_the_newest_load_of_each_row(demo_warehouse: DemoWarehouse, tmp_path: Path) -> None:
    warehouse = demo_warehouse.copy_to(tmp_path / "work")
    duckdb_path = warehouse.duckdb_path

    cases = {  # raw table: (staging view, measure column, its raw name)
        "usage_completions": ("stg_openai__usage_completions", "input_tokens", "input_tokens"),
        "usage_embeddings": ("stg_openai__usage_embeddings", "input_tokens", "input_tokens"),
        "costs": ("stg_openai__costs", "amount_value", "amount__value"),
    }
    with duckdb.connect(str(duckdb_path)) as con:
        picked = {}
        for table, (_, _, raw_measure) in cases.items():
            older_key, newer_key = (
                row[0]
                for row in con.execute(
                    f"select row_key from openai_raw.{table} where {raw_measure} > 0 order by row_key limit 2"
                ).fetchall()
            )
            # an older copy with another value: must lose to the row already there
            con.execute(
                f"insert into openai_raw.{table} select * replace "
                f"({raw_measure} + 1000 as {raw_measure}, '{OLDER_LOAD}' as _dlt_load_id) "
                f"from openai_raw.{table} where row_key = ?",
                [older_key],
            )
            # a newer copy with another value: must replace it
            con.execute(
                f"insert into openai_raw.{table} select * replace "
                f"({raw_measure} + 7 as {raw_measure}, '{NEWER_LOAD}' as _dlt_load_id) "
                f"from openai_raw.{table} where row_key = ?",
                [newer_key],
            )
            original = dict(
                con.execute(
                    f"select row_key, {raw_measure} from openai_raw.{table} "
                    f"where row_key in (?, ?) and _dlt_load_id not in (?, ?)",
                    [older_key, newer_key, OLDER_LOAD, NEWER_LOAD],
                ).fetchall()
            )
            picked[table] = (older_key, newer_key, original)

    built = warehouse.dbt("run", "--select", "staging", check=False)
    assert built.returncode == 0, built.stdout[-3000:]

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        for table, (view, measure, _) in cases.items():
            older_key, newer_key, original = picked[table]
            live_raw_rows = con.execute(
                f"select count(*) from openai_raw.{table} where not coalesce(_loader_tombstone, false)"
            ).fetchone()[0]
            counts = con.execute(f"select count(*), count(distinct row_key) from staging.{view}").fetchone()
            assert counts == (live_raw_rows - 2, live_raw_rows - 2), f"{view}: one row per raw row"
            rows = dict(
                con.execute(
                    f"select row_key, {measure} from staging.{view} where row_key in (?, ?)",
                    [older_key, newer_key],
                ).fetchall()
            )
            assert rows == {older_key: original[older_key], newer_key: original[newer_key] + 7}, view
            assert con.execute(
                f"select dlt_load_id from staging.{view} where row_key = ?", [newer_key]
            ).fetchone() == (NEWER_LOAD,)
