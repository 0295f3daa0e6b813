"""The report opened in headless Chromium: no console errors, charts drawn, numbers equal the marts."""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from report_support import MODELS, png_pixels
from surface_support import Browser, Mark, chart_marks

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


class _Loaders(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("link", "img", "iframe", "object", "embed") or any(
            name in ("src", "href", "srcset") for name, _ in attrs
        ):
            self.found.append(tag)


def loading_elements(html: str) -> list[str]:
    parser = _Loaders()
    parser.feed(html)
    return parser.found


def drawn(page_dom: str, chart_id: str, group: str) -> list[Mark]:
    """The marks of one kind ("mark-area role-mark", "role-legend-label", ...) in one chart."""
    return [mark for mark in chart_marks(page_dom, chart_id) if group in mark.group]


def test_report_is_self_contained(report: Path, browser: Browser) -> None:
    html = report.read_text(encoding="utf-8")
    # The charting library is inlined: no element loads anything (script text is not parsed as tags).
    assert loading_elements(html) == []
    assert "url(" not in html[html.index("<style>") : html.index("</style>")]
    assert "window.vegaEmbed=" in html
    # Chromium runs with every host name unresolvable: a fetch would log a console error.
    page = browser.open(report.as_uri())
    assert page.console == [] and page.body.get("data-rendered") == "true"
    assert 'href="http' not in page.dom  # no "open in editor" links either


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


def test_charts_draw_the_marts(report: Path, report_marts: Path, browser: Browser) -> None:
    page = browser.open(report.as_uri())
    assert page.console == [] and page.body.get("data-rendered") == "true"
    billed = scalar(report_marts, 'select sum("BilledCost") from marts.fct_openai_cost')

    def cents(chart_id: str) -> str:
        """The exact total a chart holds (its data-micros), in dollars and cents."""
        return usd(Decimal(page.attributes[chart_id]["data-micros"]) / 1_000_000)

    # Spend by project: one stacked area per project (4, so no "Other"), named in the legend.
    assert len(drawn(page.dom, "chart-projects", "mark-area role-mark")) == 4
    legend = {"".join(mark.text) for mark in drawn(page.dom, "chart-projects", "series_legend_labels")}
    assert legend == {
        "Support Assistant · Acme Analytics", "Data Labeling · Acme Analytics",
        "Document Intake · Globex Research", "Search · Globex Research",
    }  # fmt: skip
    assert cents("chart-projects") == usd(billed)
    # Each day of each project has a hover point whose tooltip is the mart's amount, dated with its year.
    spike = scalar(
        report_marts,
        """select sum("BilledCost") from marts.fct_openai_cost
           where "SubAccountId" = 'proj_acme_support' and cast("ChargePeriodStart" as date) = '2026-03-08'""",
    )
    hover = [mark.label for mark in drawn(page.dom, "chart-projects", "hover_marks")]
    assert len(hover) == 4 * 42
    assert (
        f"Project: Support Assistant · Acme Analytics; Day: 2026-03-08 (Sun); Billed: {usd(spike)}"
        in "\n".join(hover)
    )
    axis = " ".join("".join(mark.text) for mark in drawn(page.dom, "chart-projects", "role-axis-label"))
    assert "Feb 2, 2026" in axis and "Mar 14, 2026" in axis
    # The project anomaly is a marker whose tooltip names the project and its driver.
    (marker,) = drawn(page.dom, "chart-projects", "project_anomalies_marks")
    assert "Anomaly: Support Assistant (proj_acme_s…)" in marker.label
    assert "Impact: +$" in marker.label and "model gpt-4o-2024-08-06 +$40.00" in marker.label

    # Spend by model: three models and the web search line item.
    models = {"".join(mark.text) for mark in drawn(page.dom, "chart-models", "series_legend_labels")}
    assert models == {*MODELS, "web search tool calls"}
    assert cents("chart-models") == usd(billed)

    # Tokens per endpoint: one bar, labelled with the exact total.
    tokens = scalar(
        report_marts,
        "select sum(input_tokens + output_tokens) from marts.fct_openai_usage where endpoint = 'completions'",
    )
    (bar,) = drawn(page.dom, "chart-endpoints", "mark-rect role-mark")
    assert f"Total: {tokens:,} tokens" in bar.label
    # Billed against usage x list price: two lines, the billed total on the container.
    assert len(drawn(page.dom, "chart-recon", "mark-line role-mark")) == 2
    recon = scalar(report_marts, "select sum(billed_cost_usd) from marts.mart_cost_reconciliation")
    assert cents("chart-recon") == usd(recon)


def test_budget_charts_show_band_thresholds_and_missing_days(report: Path, browser: Browser) -> None:
    page = browser.open(report.as_uri())
    assert page.console == []
    cards = page.dom.split('data-budget="')[1:]
    acme = chart_marks('<div id="c">' + cards[0] + "</div>", "c")
    globex = chart_marks('<div id="c">' + cards[1] + "</div>", "c")
    # Acme: the forecast band (one area), the amount and the 50% and 80% thresholds as labelled rules.
    assert len([mark for mark in acme if "forecast_band_marks" in mark.group]) == 1
    labels = {"".join(mark.text) for mark in acme if "limit_labels_marks" in mark.group}
    assert labels == {"budget $600.00", "50% $300.00", "80% $480.00"}
    assert "likely" in page.text["budgets"]
    assert "(±10.00%, the method's error backtested on 2 completed months)" in page.text["budgets"]
    # Globex: its quarter began before costs were loaded: those days are shaded "not loaded", no band,
    # and the card says why there is no forecast.
    (shade,) = [mark.label for mark in globex if "not_loaded_marks" in mark.group]
    assert shade.endswith("label: Not loaded: 2026-01-01 to 2026-01-31")
    assert ["".join(mark.text) for mark in globex if "not_loaded_label_marks" in mark.group] == ["not loaded"]
    assert not [mark for mark in globex if "forecast_band_marks" in mark.group]
    assert "costs are loaded from 2026-02-01 but the quarter began 2026-01-01" in page.text["budgets"]


def test_openai_in_the_whole_bill(report: Path, report_marts: Path, browser: Browser) -> None:
    page = browser.open(report.as_uri())
    assert page.console == []
    assert "hidden" not in page.attributes["whole-bill"]
    openai = scalar(report_marts, 'select sum("BilledCost") from marts.fct_openai_cost')
    aws = Decimal(40) * 28  # 2026-02-15 to 2026-03-14, in USD; the EUR rows are left out
    share = (100 * openai / (openai + aws)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert page.text["openai-share"] == f"{share}%"
    assert page.text["whole-bill-total"] == usd(openai + aws)
    legend = {"".join(mark.text) for mark in drawn(page.dom, "chart-providers", "series_legend_labels")}
    assert legend == {"OpenAI", "AWS"}
    assert len(drawn(page.dom, "chart-providers", "mark-area role-mark")) == 2
    assert f"AWS / Compute{usd(aws)}" in page.text["providers"]
    # Before the cloud bill starts, OpenAI is the whole bill: no other provider, no panel.
    early = browser.open(report.as_uri() + "#start=2026-02-01&end=2026-02-14")
    assert "hidden" in early.attributes["whole-bill"]


def test_an_empty_range_says_so(report: Path, browser: Browser) -> None:
    page = browser.open(report.as_uri() + "#start=2030-01-01&end=2030-01-31")
    assert page.console == [] and page.body.get("data-rendered") == "true"
    assert page.text["chart-projects"] == "No spend between 2030-01-01 and 2030-01-31."
    assert page.text["chart-recon"] == "No reconciliation between 2030-01-01 and 2030-01-31."
    assert page.text["total-spend"] == "$0.00"


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
