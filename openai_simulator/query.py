"""Query-string handling shared by every endpoint."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

from openai_simulator.errors import bad_request

_CURSOR = struct.Struct(">q")
_FP_LEN = 10


class Query:
    """Parsed query parameters; `name[]=x` and repeated `name=x` are the same array."""

    def __init__(self, raw: dict[str, list[str]], scope: str = "") -> None:
        self.scope = scope  # the endpoint: a cursor is only valid where it was issued
        self.params: dict[str, list[str]] = {}
        for key, values in raw.items():
            name = key[:-2] if key.endswith("[]") else key
            self.params.setdefault(name, []).extend(values)

    def one(self, name: str) -> str | None:
        values = self.params.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise bad_request(f"Parameter '{name}' was given more than once.", name)
        return values[0]

    def many(self, name: str) -> list[str] | None:
        values = self.params.get(name)
        return list(values) if values else None

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")
        return value

    def integer(self, name: str) -> int | None:
        value = self.one(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"Invalid '{name}': expected an integer, got '{value}'.", name) from None

    def boolean(self, name: str) -> bool | None:
        value = self.one(name)
        if value is None:
            return None
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise bad_request(f"Invalid '{name}': expected a boolean, got '{value}'.", name)

    def fingerprint(self) -> bytes:
        """Identity of every parameter except the cursor itself (order-insensitive)."""
        canon = sorted((k, tuple(sorted(v))) for k, v in self.params.items() if k != "page")
        return hashlib.sha256(repr((self.scope, canon)).encode()).digest()[:_FP_LEN]

    def encode_cursor(self, position: int) -> str:
        return "page_" + base64.urlsafe_b64encode(_CURSOR.pack(position) + self.fingerprint()).decode()

    def cursor_position(self) -> int | None:
        """Decode `page`; a cursor issued for other parameters is refused, as live (CONTRACT §7 #8)."""
        page = self.one("page")
        if page is None:
            return None
        try:
            if not page.startswith("page_"):
                raise ValueError(page)
            raw = base64.urlsafe_b64decode(page[5:].encode())
            if len(raw) != _CURSOR.size + _FP_LEN:
                raise ValueError(page)
        except (ValueError, binascii.Error):
            raise bad_request("Invalid page cursor.", "page") from None
        if raw[_CURSOR.size :] != self.fingerprint():
            raise bad_request(
                "The page cursor does not match the query parameters it was issued for; "
                "keep every other parameter identical while paginating.",
                "page",
            )
        return _CURSOR.unpack(raw[: _CURSOR.size])[0]
