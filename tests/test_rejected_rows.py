"""Values the loader set aside surface in dbt as a warning with their count, never an error."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from conftest import DemoWarehouse


def test_rejected_rows_warn_with_their_count(demo_warehouse: DemoWarehouse, tmp_path: Path) -> None:
    # The demo loads clean data: no table yet, the view is empty and the test passes.
    with duckdb.connect(str(demo_warehouse.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_openai__rejected_rows").fetchone() == (0,)

    warehouse = demo_warehouse.copy_to(tmp_path)
    duckdb_path = warehouse.duckdb_path
    with duckdb.connect(str(duckdb_path)) as con:
        # The columns the loader writes (loader/rows.py BucketRows._reject), two values set aside.
        con.execute(
            """
            create table openai_raw.rejected_rows as
            select * from (values
                ('org-a', 'costs', '1d', 'line_item,project_id', timestamp '2026-03-01',
                 timestamp '2026-03-08', timestamp '2026-03-02', timestamp '2026-03-03',
                 'amount.value', '''NaN''', 'not a finite number', timestamp '2026-03-09', '1.5'),
                ('org-a', 'costs', '1d', 'line_item,project_id', timestamp '2026-03-01',
                 timestamp '2026-03-08', timestamp '2026-03-04', timestamp '2026-03-05',
                 'quantity', 'Decimal(''1E+40'')', 'out of the decimal''s range',
                 timestamp '2026-03-09', '1.5')
            ) as t(org_id, table_name, bucket_width, group_by, request_start_at, request_end_at,
                   bucket_start_at, bucket_end_at, field, value, reason, rejected_at, _dlt_load_id)
            """
        )
    build = warehouse.dbt(
        "build", "--select", "stg_openai__rejected_rows", "warn_openai_rejected_rows", check=False
    )
    assert build.returncode == 0, build.stdout[-3000:]
    assert "Warning in test warn_openai_rejected_rows" in build.stdout, build.stdout[-3000:]
    assert "Got 2 results, configured to warn if != 0" in build.stdout
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select field_name, sent_value, reason from staging.stg_openai__rejected_rows "
            "order by bucket_start_at"
        ).fetchall()
    assert rows == [
        ("amount.value", "'NaN'", "not a finite number"),
        ("quantity", "Decimal('1E+40')", "out of the decimal's range"),
    ]
