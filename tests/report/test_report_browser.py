"""The report opened in headless Chromium: no console errors, charts drawn, numbers equal the marts."""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from report_support import png_pixels
from surface_support import Browser

from loader import cli


def main(argv: list[str]) -> int:
    return cli.main(["report", *argv])


ACME = "org-ACME000000000000000000"


def usd(value: Decimal) -> str:
    cents = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"


def scalar(path: Path, sql: str, params: list[object] | None = None) -> Decimal:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchone()[0]


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def write_report(marts: Path, out: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["OPENAI_FINOPS_DUCKDB"] = str(marts)
    try:
        assert main(["--out", str(out), *args]) == 0
    finally:
        del os.environ["OPENAI_FINOPS_DUCKDB"]
    assert capsys.readouterr().out == f"{out.resolve()}\n"


@pytest.fixture(scope="module")
def report(report_marts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "report.html"
    os.environ["OPENAI_FINOPS_DUCKDB"] = str(report_marts)
    try:
        assert main(["--out", str(out)]) == 0
    finally:
        del os.environ["OPENAI_FINOPS_DUCKDB"]
    return out


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert "<script src" not in html and "<link" not in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html


def test_rendered_totals_equal_the_marts(report: Path, report_marts: Path, browser: Browser) -> None:
    page = browser.open(report.as_uri())

    assert page.console == []
    assert page.body.get("data-rendered") == "true" and "data-errors" not in page.body
    billed = scalar(report_marts, 'select sum("BilledCost") from marts.fct_openai_cost')
    assert page.text["total-spend"] == usd(billed)
    assert page.text["total-days"] == "42"
    assert page.text["anomaly-count"] == "1"
    # The anomaly table names the project and the driver, the id shortened beside the name.
    assert "Support Assistant (proj_acme_s…)" in page.text["anomalies"]
    assert "model gpt-4o-2024-08-06 +$40.00" in page.text["anomalies"]
    assert page.text["recon-billed"] == usd(
        scalar(report_marts, "select sum(billed_cost_usd) from marts.mart_cost_reconciliation")
    )
    assert page.text["recon-usage"] == usd(
        scalar(
            report_marts, "select sum(coalesce(usage_list_cost_usd, 0)) from marts.mart_cost_reconciliation"
        )
    )
    by_class = dict(
        rows(
            report_marts,
            """select reconciliation_class, sum(billed_cost_usd)
               from marts.mart_cost_reconciliation group by 1""",
        )
    )
    assert page.text["recon-reconcilable"] == usd(by_class["reconcilable"])
    assert page.text["recon-explained"] == usd(by_class["explained"])
    assert page.text["recon-unexplained"] == usd(by_class["unexplained"])
    gap = scalar(
        report_marts,
        """select sum(billed_cost_usd - usage_list_cost_usd) from marts.mart_cost_reconciliation
           where reconciliation_class = 'reconcilable'""",
    )
    unexplained = gap + by_class["unexplained"]
    share = (unexplained * 100 / by_class["reconcilable"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert page.text["recon-gap-kpi"] == f"{'+' if unexplained > 0 else ''}{usd(unexplained)} ({share}%)"
    assert f"of which {'+' if gap > 0 else ''}{usd(gap)} billed" in page.text["recon-split"]
    tokens = scalar(
        report_marts, "select sum(input_tokens) from marts.fct_openai_usage where endpoint = 'completions'"
    )
    assert f"completions{tokens:,}" in page.text["endpoints"]
    actual = scalar(report_marts, "select actual_to_date_usd from marts.mart_budget_status")
    assert f"Acme monthlyat risk {usd(actual)} of $600.00 spent to 2026-03-14" in page.text["budgets"]
    assert "Support Assistant" in page.text["movers-projects"]


def test_filters_by_organization_and_dates(report: Path, report_marts: Path, browser: Browser) -> None:
    page = browser.open(report.as_uri() + f"#org={ACME}&start=2026-02-10&end=2026-03-05")

    assert page.console == []
    expected = scalar(
        report_marts,
        """select sum("BilledCost") from marts.fct_openai_cost where "BillingAccountId" = ?
           and "ChargePeriodStart" between '2026-02-10' and '2026-03-05'""",
        [ACME],
    )
    assert page.text["total-spend"] == usd(expected)
    assert page.text["total-days"] == "24"
    assert page.text["anomaly-count"] == "0"  # the spike is on 2026-03-08
    assert "Document Intake" not in page.text["movers-projects"]


def test_screenshot_shows_the_charts(report: Path, browser: Browser, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    assert browser.screenshot(report.as_uri(), shot) == []

    colors = png_pixels(shot)
    assert len(colors) > 200  # not a blank page
    # The first two series colors of the line charts and the high-severity anomaly marker.
    assert colors[(0x1F, 0x77, 0xB4)] > 500
    assert colors[(0xFF, 0x7F, 0x0E)] > 500
    assert colors[(0xB3, 0x00, 0x00)] > 30


def test_cli_filters_what_is_embedded(
    report_marts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], browser: Browser
) -> None:
    out = tmp_path / "globex.html"
    write_report(
        report_marts,
        out,
        "--org",
        "Globex Research",
        "--start",
        "2026-03-01",
        "--end",
        "2026-03-14",
        capsys=capsys,
    )

    page = browser.open(out.as_uri())
    expected = scalar(
        report_marts,
        """select sum("BilledCost") from marts.fct_openai_cost where "BillingAccountName" = 'Globex Research'
           and "ChargePeriodStart" between '2026-03-01' and '2026-03-14'""",
    )
    assert page.text["total-spend"] == usd(expected)
    assert page.text["total-days"] == "14"
    assert ACME not in out.read_text(encoding="utf-8")


def test_cli_errors(report_marts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["OPENAI_FINOPS_DUCKDB"] = str(report_marts)
    try:
        assert main(["--org", "nobody", "--out", str(tmp_path / "x.html")]) == 2
        assert capsys.readouterr().err == (
            "python -m loader report: error: unknown organization 'nobody' "
            "(known: org-ACME000000000000000000, org-GLOBEX0000000000000000)\n"
        )
        os.environ["OPENAI_FINOPS_DUCKDB"] = str(tmp_path / "missing.duckdb")
        assert main([]) == 1
        assert capsys.readouterr().err.startswith("python -m loader report: error: no warehouse at ")
    finally:
        del os.environ["OPENAI_FINOPS_DUCKDB"]
