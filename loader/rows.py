"""Turn API buckets into raw rows: loader columns, exact decimals, deterministic keys, tombstones."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

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


# A bigint column holds a signed 64-bit integer.
_BIGINT_LIMIT = 2**63


@dataclass(frozen=True)
class ResultChecks:
    """What a result's top-level values must be to load: their declared types, the required ones."""

    text: tuple[str, ...] = ()
    integers: tuple[str, ...] = ()
    booleans: tuple[str, ...] = ()
    required: tuple[str, ...] = ()

    @classmethod
    def of(cls, fields: Mapping[str, Mapping[str, object]], required: tuple[str, ...]) -> ResultChecks:
        def typed(data_type: str) -> tuple[str, ...]:
            # Nested fields (amount__value) are checked with the cost decimals, not here.
            return tuple(
                name for name, hint in fields.items() if hint["data_type"] == data_type and "__" not in name
            )

        return cls(typed("text"), typed("bigint"), typed("bool"), required)

    def problem(self, result: dict[str, Any]) -> tuple[str, Any, str] | None:
        """(field, value, reason) when a value cannot load as its column's type; None when all can.

        An integral decimal (`12.0`, `1E+3`) is made an int in place: the same count, written
        differently.
        """
        for name in self.required:
            if result.get(name) is None:
                return name, result.get(name), "missing: the API's schema requires it"
        for name in self.integers:
            value = result.get(name)
            if value is None:
                continue
            kind = type(value)
            if kind is Decimal and value.is_finite() and value == value.to_integral_value():
                value = result[name] = int(value)
            elif kind is not int:
                return name, value, "not an integer"
            if not -_BIGINT_LIMIT <= value < _BIGINT_LIMIT:
                return name, value, "out of the integer's range"
        for names, kind, expected in ((self.text, str, "text"), (self.booleans, bool, "true or false")):
            for name in names:
                value = result.get(name)
                if value is not None and type(value) is not kind:
                    return name, value, f"wrong type: expected {expected}"
        return None


class BucketRows:
    """Builds the rows of one stream: one organization, endpoint, bucket width and group-by set."""

    def __init__(
        self,
        org_id: str,
        table: str,
        width: str,
        group_by: str,
        is_costs: bool,
        checks: ResultChecks,
    ) -> None:
        self.org_id = org_id
        self.table = table
        self.width = width
        self.group_by = group_by
        self.is_costs = is_costs
        self.checks = checks
        self.step = BUCKET_SECONDS[width]
        self._prefix = f"{org_id}|{table}|{width}|{group_by}|"
        # Results whose values cannot load (see quarantine_reason), as rows of `rejected_rows`.
        self.rejected: list[dict[str, Any]] = []
        self.request_window: tuple[int, int] = (0, 0)

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

    def bucket(self, bucket: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The bucket's rows; None when a value in it was quarantined and the bucket is kept as is.

        Replacing a bucket without one of its lines would delete that line's loaded value.
        """
        start, end = bucket["start_time"], bucket["end_time"]
        quarantined = False
        base = self._base(start, end)
        base["row_key"] = ""  # placeholder: keeps the column order of the architecture doc
        rows: list[dict[str, Any]] = []
        seen: dict[str, int] = {}
        for result in bucket.get("results") or ():
            if not isinstance(result, dict):
                continue
            problem = None
            if self.is_costs:
                result = _exact_costs(result)
                problem = quarantine_reason(result)
            if problem is None:
                problem = self.checks.problem(result)
            if problem is not None:
                self._reject(start, end, *problem)
                quarantined = True
                continue
            row = base.copy()
            # Identity = every text/boolean top-level value; absent and null hash alike (quirk #5).
            parts: list[str] = []
            for name, value in result.items():
                kind = type(value)
                if kind is dict:
                    _flatten_into(row, name + "__", value)
                    continue
                if name not in base:
                    row[name] = value
                if kind is str or kind is bool:
                    parts.append(f"{name}={value!r}")
            parts.sort()
            identity = ",".join(parts)
            occurrence = seen.get(identity, 0)
            seen[identity] = occurrence + 1
            if occurrence:  # same dimensions twice in a bucket: keep both rows, never merge them away
                identity = f"{identity}#{occurrence}"
            row["row_key"] = self._key(start, identity)
            rows.append(row)
        return None if quarantined else rows

    def _reject(self, start: int, end: int, field_name: str, value: Any, reason: str) -> None:
        self.rejected.append(
            {
                "org_id": self.org_id,
                "table_name": self.table,
                "bucket_width": self.width,
                "group_by": self.group_by,
                "request_start_at": utc(self.request_window[0]),
                "request_end_at": utc(self.request_window[1]),
                "bucket_start_at": utc(start),
                "bucket_end_at": utc(end),
                "field": field_name,
                "value": repr(value)[:200],
                "reason": reason,
                "rejected_at": datetime.now(UTC),
            }
        )

    def tombstones(self, starts: range, window_end: int) -> Iterator[dict[str, Any]]:
        for start in starts:
            row = self._base(start, min(start + self.step, window_end))
            row["row_key"] = self._key(start, "<empty bucket>")
            row[TOMBSTONE_COLUMN] = True
            yield row


# decimal(38, 18) holds 20 digits before the point, decimal(38, 9) 29.
_COST_DECIMAL_LIMITS = {"amount.value": Decimal(10) ** 20, "quantity": Decimal(10) ** 29}


def quarantine_reason(result: dict[str, Any]) -> tuple[str, Any, str] | None:
    """(field, value, reason) when a cost result cannot load as sent; None when it can.

    One such value would fail the load package of every table in the slice, so it is set aside.
    """
    amount = result.get("amount")
    if not isinstance(amount, dict) or "value" not in amount:
        return "amount", amount, "missing: a cost result needs amount.value"
    values = {"amount.value": amount["value"], "quantity": result.get("quantity")}
    for field_name, value in values.items():
        if value is None and field_name == "quantity":
            continue
        if not isinstance(value, Decimal) or not value.is_finite():
            return field_name, value, "not a finite number"
        if abs(value) >= _COST_DECIMAL_LIMITS[field_name]:
            return field_name, value, "out of the decimal's range"
    return None


def _exact_costs(result: dict[str, Any]) -> dict[str, Any]:
    result = dict(result)
    amount = result.get("amount")
    if isinstance(amount, dict) and "value" in amount:
        result["amount"] = {**amount, "value": exact_decimal(amount["value"], 18)}
    if "quantity" in result:
        result["quantity"] = exact_decimal(result["quantity"], 9)
    return result


def _flatten_into(row: dict[str, Any], prefix: str, fields: dict[str, Any]) -> None:
    """Nested objects become `parent__child` columns, as dlt names them; loader columns win."""
    for name, value in fields.items():
        column = prefix + name
        if isinstance(value, dict):
            _flatten_into(row, column + "__", value)
        elif column not in row:
            row[column] = value


_ARROW_TYPES = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


def arrow_field(name: str, hint: dict[str, Any]) -> pa.Field:
    if hint["data_type"] == "decimal":
        kind = pa.decimal128(hint["precision"], hint["scale"])
    else:
        kind = _ARROW_TYPES[hint["data_type"]]
    # Matching dlt's nullability keeps dlt from warning about differing hints on every page.
    return pa.field(name, kind, nullable=hint.get("nullable", True))


def rows_to_arrow(rows: list[dict[str, Any]], declared: dict[str, pa.Field]) -> pa.Table:
    """One page of rows as an Arrow table: declared types for known columns, inferred for new ones.

    Arrow lets dlt skip its per-row normalization, the loader's main cost on large backfills.
    """
    names = dict.fromkeys(rows[0]) if rows else {}
    for row in rows:
        if not names.keys() >= row.keys():  # rare: a field only some rows carry
            names.update(dict.fromkeys(row))
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    for name in names:
        values = [row.get(name) for row in rows]
        known = declared.get(name)
        array = _array(values, known.type if known is not None else None)
        if pa.types.is_null(array.type):
            continue  # never set on this page: same as absent, and untyped columns cannot load
        arrays.append(array)
        if known is not None and array.type == known.type:
            fields.append(known)
        else:
            fields.append(pa.field(name, array.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _array(values: list[Any], kind: pa.DataType | None) -> pa.Array:
    if kind is not None:
        try:
            return pa.array(values, type=kind)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            pass  # an unexpected type: let dlt see it as sent (it keeps it in a variant column)
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return pa.array([None if value is None else json.dumps(value, default=str) for value in values])
