"""Turn API buckets into raw rows: loader columns, exact decimals, deterministic keys, tombstones."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any

BUCKET_SECONDS = {"1d": 86_400, "1h": 3_600, "1m": 60}

# Marks a row that only clears a bucket: dlt deletes that bucket's old rows and inserts nothing.
TOMBSTONE_COLUMN = "_loader_tombstone"

_WIDE = Context(prec=120)
_SCALES: dict[int, Decimal] = {}


def exact_decimal(value: Any, scale: int) -> Any:
    """A JSON number (already a Decimal) or decimal string, at a fixed scale; other values as-is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return value
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        return value
    if not number.is_finite():
        return value
    quantum = _SCALES.setdefault(scale, Decimal(1).scaleb(-scale))
    return number.quantize(quantum, context=_WIDE)


def utc(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def floor_to_bucket(epoch_seconds: int, width: str) -> int:
    # Unix time 0 is a UTC midnight, so flooring by the bucket length aligns days, hours and minutes.
    return epoch_seconds - epoch_seconds % BUCKET_SECONDS[width]


class BucketRows:
    """Builds the rows of one stream: one organization, endpoint, bucket width and group-by set."""

    def __init__(self, org_id: str, table: str, width: str, group_by: str, is_costs: bool) -> None:
        self.org_id = org_id
        self.table = table
        self.width = width
        self.group_by = group_by
        self.is_costs = is_costs
        self.step = BUCKET_SECONDS[width]
        self._prefix = f"{org_id}|{table}|{width}|{group_by}|"

    def _base(self, start: int, end: int) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "bucket_start_at": utc(start),
            "bucket_end_at": utc(end),
            "bucket_width": self.width,
            "group_by": self.group_by,
        }

    def _key(self, start: int, identity: str) -> str:
        digest = hashlib.blake2b(f"{self._prefix}{start}|{identity}".encode(), digest_size=16)
        return digest.hexdigest()

    def bucket(self, bucket: dict[str, Any]) -> list[dict[str, Any]]:
        start, end = bucket["start_time"], bucket["end_time"]
        rows: list[dict[str, Any]] = []
        seen: dict[str, int] = {}
        for result in bucket.get("results") or ():
            if not isinstance(result, dict):
                continue
            # Identity = every non-numeric top-level value; absent and null hash alike (quirk #5).
            dims = sorted(
                (name, value)
                for name, value in result.items()
                if value is not None and isinstance(value, str | bool)
            )
            identity = json.dumps(dims, separators=(",", ":"))
            occurrence = seen.get(identity, 0)
            seen[identity] = occurrence + 1
            if occurrence:  # same dimensions twice in a bucket: keep both rows, never merge them away
                identity = f"{identity}#{occurrence}"
            row = self._base(start, end)
            row["row_key"] = self._key(start, identity)
            for name, value in result.items():
                if name not in row:
                    row[name] = value
            if self.is_costs:
                _exact_costs(row)
            rows.append(row)
        return rows

    def tombstones(self, starts: range, window_end: int) -> Iterator[dict[str, Any]]:
        for start in starts:
            row = self._base(start, min(start + self.step, window_end))
            row["row_key"] = self._key(start, "<empty bucket>")
            row[TOMBSTONE_COLUMN] = True
            yield row


def _exact_costs(row: dict[str, Any]) -> None:
    amount = row.get("amount")
    if isinstance(amount, dict) and "value" in amount:
        row["amount"] = {**amount, "value": exact_decimal(amount["value"], 18)}
    if "quantity" in row:
        row["quantity"] = exact_decimal(row["quantity"], 9)
