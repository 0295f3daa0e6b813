"""`python -m loader summary` on the demo warehouse: what it says is what the marts hold."""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from conftest import DemoWarehouse


def _money(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", "").replace("+", ""))


def test_reconciliation_headline_is_the_unexplained_difference(demo_warehouse: DemoWarehouse) -> None:
    done = demo_warehouse.run(sys.executable, "-m", "loader", "summary", check=False)
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(demo_warehouse.duckdb_path), read_only=True) as con:
        by_class = dict(
            con.execute(
                """select reconciliation_class, sum(billed_cost_usd)
                   from marts.mart_cost_reconciliation group by 1"""
            ).fetchall()
        )
        (gap,) = con.execute(
            """select sum(gap_usd) from marts.mart_cost_reconciliation
               where reconciliation_class = 'reconcilable'"""
        ).fetchone()
    assert by_class["explained"] > 1000, "the demo bills fine-tuning training and storage"
    headline = re.search(
        r"Unexplained difference (\S+) \(([-+\d.]+)% of reconcilable spend\): billed - usage x list price "
        r"on reconcilable lines (\S+), plus (\S+) billed without usage or list price where there should be "
        r"one\. Beside it: reconcilable spend (\S+), explained spend (\S+) \(.*\), spend of days without "
        r"usage loaded (\S+)\.",
        done.stdout,
    )
    assert headline, done.stdout
    unexplained = gap + by_class.get("unexplained", 0)
    cent = Decimal("0.01")
    assert _money(headline[1]) == unexplained.quantize(cent)
    assert Decimal(headline[2]) == (unexplained * 100 / by_class["reconcilable"]).quantize(cent)
    assert _money(headline[3]) == gap.quantize(cent)
    assert _money(headline[4]) == Decimal(by_class.get("unexplained", 0)).quantize(cent)
    assert _money(headline[5]) == by_class["reconcilable"].quantize(cent)
    assert _money(headline[6]) == by_class["explained"].quantize(cent)
    assert _money(headline[7]) == Decimal(by_class.get("usage_not_loaded", 0)).quantize(cent)
    # The demo loads costs from January 1 and usage for 90 days: the older days are not loaded
    # usage, and fine-tuning training is explained; neither is a discrepancy, and both are far
    # larger than what is left unexplained (late usage on the last days).
    assert by_class["usage_not_loaded"] > 1000
    assert abs(unexplained) < by_class["explained"] / 10


def test_anomalies_are_listed_by_name(demo_warehouse: DemoWarehouse) -> None:
    done = demo_warehouse.run(sys.executable, "-m", "loader", "summary", check=False)
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("Latest spend anomalies", 1)[1]
    with duckdb.connect(str(demo_warehouse.duckdb_path), read_only=True) as con:
        project_names = [
            name
            for (name,) in con.execute(
                """select distinct projects.project_name from surfaces.rpt_spend_anomalies as anomalies
                   inner join marts.dim_openai_projects as projects
                       on anomalies.org_id = projects.org_id and anomalies.project_id = projects.project_id
                   where anomalies.series_level = 'project'"""
            ).fetchall()
        ]
    assert project_names, "the demo has project anomalies of named projects"
    assert any(f"{name} (proj_" in listed for name in project_names), listed
    # Every project id shown sits in parentheses beside a name.
    assert set(re.findall(r"(.)proj_", listed)) == {"("}, listed
