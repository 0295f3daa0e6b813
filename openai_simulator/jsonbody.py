"""JSON encoding that writes Decimal values as exact JSON numbers (never through float)."""

from __future__ import annotations

import json
from decimal import Decimal

# Control characters never occur in served strings; json.dumps escapes them as below.
_START, _END = "\u0001\u0002#", "#\u0002\u0001"
_OPEN, _CLOSE = '"\\u0001\\u0002#', '#\\u0002\\u0001"'


def raw_number(value: Decimal) -> str:
    """Placeholder for a Decimal that `dumps` turns into a bare JSON number."""
    text = format(value.normalize(), "f") if value else "0"
    return f"{_START}{text}{_END}"


def dumps(body: object) -> bytes:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=True)
    # only raw_number() placeholders contain the marker, so two plain replaces unquote them
    return text.replace(_OPEN, "").replace(_CLOSE, "").encode()
