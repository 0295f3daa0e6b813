"""Assemble the single self-contained HTML file: template, styles, script and data inline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from importlib import resources
from typing import Any


def _asset(name: str) -> str:
    return (
        resources.files("openai_finops_surfaces.report").joinpath("assets", name).read_text(encoding="utf-8")
    )


def _json_for_script(data: dict[str, Any]) -> str:
    # Inside <script>, "</script>" or "<!--" in a name would end or corrupt the block.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def render_html(data: dict[str, Any], source: str, generated_at: datetime | None = None) -> str:
    generated_at = generated_at or datetime.now(UTC)
    orgs = ", ".join(org["name"] for org in data["orgs"]) or "no organizations"
    meta = (
        f"{escape(orgs)} · data {escape(str(data['first_day']))} to {escape(str(data['last_day']))} (UTC) · "
        f"generated {generated_at:%Y-%m-%d %H:%M} UTC from {escape(source)}"
    )
    page = _asset("report.html")
    # Each placeholder is replaced once, in this order, so content cannot inject another one.
    for placeholder, value in (
        ("/*CSS*/", _asset("report.css")),
        ("/*META*/", meta),
        ("/*JS*/", _asset("report.js")),
        ("/*DATA*/", _json_for_script(data)),
    ):
        before, found, after = page.partition(placeholder)
        if not found:
            raise RuntimeError(f"report template lacks {placeholder}")
        page = before + value + after
    return page
