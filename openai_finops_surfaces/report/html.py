"""Assemble the single self-contained HTML file: template, styles, charting library, script and data
inline, so the report opens offline and fetches nothing."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from html import escape
from importlib import resources
from typing import Any


def _asset(name: str) -> str:
    return (
        resources.files("openai_finops_surfaces.report").joinpath("assets", name).read_text(encoding="utf-8")
    )


@functools.cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script that sets window.vegaEmbed (about 0.9 MB).

    vl-convert-python carries the libraries and bundles them offline; pinned in pyproject.toml,
    so a report's charts do not change with an unpinned download.
    """
    import vl_convert

    bundle = vl_convert.javascript_bundle()
    if "</script" in bundle.lower():
        raise RuntimeError("the Vega bundle contains </script> and cannot be inlined")
    return bundle


def _json_for_script(data: dict[str, Any]) -> str:
    # Inside <script>, "</script>" or "<!--" in a name would end or corrupt the block.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def render_html(data: dict[str, Any], source: str, generated_at: datetime | None = None) -> str:
    generated_at = generated_at or datetime.now(UTC)
    orgs = ", ".join(org["name"] for org in data["orgs"]) or "no organizations"
    loaded = (
        f"data {escape(str(data['first_day']))} to {escape(str(data['last_day']))} (UTC)"
        if data["first_day"]
        else "no spend loaded"
    )
    meta = f"{escape(orgs)} · {loaded} · generated {generated_at:%Y-%m-%d %H:%M} UTC from {escape(source)}"
    page = _asset("report.html")
    # Each placeholder is replaced once, in this order, so content cannot inject another one.
    for placeholder, value in (
        ("/*CSS*/", _asset("report.css")),
        ("/*META*/", meta),
        ("/*VEGA*/", vega_bundle()),
        ("/*JS*/", _asset("report.js")),
        ("/*DATA*/", _json_for_script(data)),
    ):
        before, found, after = page.partition(placeholder)
        if not found:
            raise RuntimeError(f"report template lacks {placeholder}")
        page = before + value + after
    return page
