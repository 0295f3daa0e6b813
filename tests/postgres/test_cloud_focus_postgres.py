"""The cloud FOCUS staging on PostgreSQL: the FOCUS 1.0 sample loaded as the README says (one
table, every column text, `\\copy ... csv header`, so `NULL` arrives as the text NULL and `""` as an
empty string) reads as on DuckDB (tests/test_cloud_focus.py): the same rows per provider, exact
totals and flagged rules. Without the var the model builds empty."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from postgres_support import pg_admin, pg_connect, pg_settings

pytestmark = pytest.mark.postgres

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "tests" / "fixtures" / "cloud_focus" / "focus_1.0_sample_1000.csv"
MODEL = "stg_cloud_focus__cost_and_usage"


def _dbt(env: dict[str, str], *args: str) -> None:
    dbt_bin = str(Path(sys.executable).with_name("dbt"))
    done = subprocess.run(
        [dbt_bin, "run", "--target", "postgres", "--select", MODEL, *args],
        cwd=REPO_ROOT,
        env=env,
        text=True,
        capture_output=True,
    )
    assert done.returncode == 0, done.stdout[-4000:]


def test_cloud_focus_staging_on_postgres(tmp_path: Path) -> None:
    pg = pg_settings()
    database = f"openai_finops_cloud_{os.getpid()}"
    pg_admin(pg, f"drop database if exists {database} with (force)", f"create database {database}")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    shutil.copy(REPO_ROOT / "profiles.example.yml", profiles / "profiles.yml")
    env = dict(os.environ) | {
        "OPENAI_FINOPS_PG_DATABASE": database,
        "DBT_PROFILES_DIR": str(profiles),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    try:
        con = pg_connect(pg, database)
        con.autocommit = True
        with SAMPLE.open(newline="") as handle:
            sample = list(csv.DictReader(handle))
        with con.cursor() as cursor:
            columns = ", ".join(f'"{name}" text' for name in sample[0])
            cursor.execute(f"create schema cloud_focus; create table cloud_focus.cost_and_usage ({columns})")
            with SAMPLE.open() as handle:
                cursor.copy_expert(
                    "copy cloud_focus.cost_and_usage from stdin with (format csv, header)", handle
                )
        _dbt(env)
        with con.cursor() as cursor:
            cursor.execute(f"select count(*) from staging.{MODEL}")
            assert cursor.fetchall() == [(0,)]
        _dbt(env, "--vars", json.dumps({"cloud_focus_table": "cloud_focus.cost_and_usage"}))
        expected: dict[str, Decimal] = defaultdict(Decimal)
        for row in sample:
            expected[row["ProviderName"]] += Decimal(row["BilledCost"])
        with con.cursor() as cursor:
            cursor.execute(
                'select "ServiceProviderName", "HostProviderName", "x_FocusVersion", count(*), '
                'sum("BilledCost"), count(*) filter (where "x_HasRuleViolations"), '
                f'count(*) filter (where "BillingAccountName" is null) from staging.{MODEL} '
                "group by 1, 2, 3 order by 1"
            )
            assert cursor.fetchall() == [
                ("AWS", "AWS", "1.0", 942, expected["AWS"], 17, 0),
                ("Microsoft", "Microsoft", "1.0", 51, expected["Microsoft"], 25, 0),
                ("Oracle", "Oracle", "1.0", 7, expected["Oracle"], 7, 7),
            ]
            cursor.execute(f'select "x_RuleViolations" from staging.{MODEL} where "x_HasRuleViolations"')
            rules = Counter(rule for (violations,) in cursor.fetchall() for rule in violations.split(", "))
            assert rules == {
                "ContractedCost:null": 7,
                "ChargeFrequency:allowed_values": 7,
                "RegionName:without_RegionId": 7,
                "ChargePeriodStart:outside_billing_period": 1,
                "ListCost:not_unit_price_times_quantity": 25,
                "ContractedCost:not_unit_price_times_quantity": 17,
            }
            cursor.execute(
                f'select "ListUnitPrice", "ChargePeriodStart" from staging.{MODEL} '
                "where \"ResourceId\" = 'arn:ats:sqs:us-test-2:347410479675:mibelllmel-i-032l64f2065481b12' "
                "and \"ChargePeriodStart\" = timestamp '2024-09-18 22:00:00'"
            )
            assert [row[0] for row in cursor.fetchall()] == [Decimal("0.0000004")]
        con.close()
    finally:
        pg_admin(pg, f"drop database if exists {database} with (force)")
