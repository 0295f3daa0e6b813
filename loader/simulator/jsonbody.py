"""JSON encoding that writes Decimal values as exact JSON numbers (never through float)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

_MARK = "\u0001"
_RAW = re.compile(r'"\\u0001([-+0-9.eE]+)\\u0001"')


def raw_number(value: Decimal) -> str:
    """Placeholder for a Decimal that `dumps` turns into a bare JSON number."""
    text = format(value.normalize(), "f") if value else "0"
    return f"{_MARK}{text}{_MARK}"


def dumps(body: object) -> bytes:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=True)
    return _RAW.sub(r"\1", text).encode()
