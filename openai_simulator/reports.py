"""The bucketed reports: /organization/usage/* and /organization/costs."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Context, Decimal

from openai_simulator import catalog
from openai_simulator.config import API_KEY_GROUPING_SINCE
from openai_simulator.costs import CostAtom, CostModel
from openai_simulator.errors import bad_request
from openai_simulator.generator import Generator
from openai_simulator.jsonbody import raw_number
from openai_simulator.query import Query
from openai_simulator.world import DAY, Organization, Stream

WIDTHS = {"1m": 60, "1h": 3600, "1d": DAY}
USAGE_LIMITS = {"1m": (60, 1440), "1h": (24, 168), "1d": (7, 31)}
COSTS_LIMIT = (7, 180)
_LONG = Decimal("1e-39")  # the live long-string form, e.g. "0.000004500000000000000000000000000000000"
_WIDE = Context(prec=100)
_OPTIONAL_COMPLETION_FIELDS = (
    "input_cache_write_tokens",
    "input_image_tokens",
    "input_cached_image_tokens",
    "output_image_tokens",
    "input_cached_audio_tokens",
)


def _limit(q: Query, default: int, maximum: int) -> int:
    limit = q.integer("limit")
    if limit is None:
        return default
    if limit > maximum:
        raise bad_request(
            f"Invalid limit provided: {limit}. Limit must be less than or equal to {maximum}.", "limit"
        )
    if limit < 1:
        raise bad_request(
            f"Invalid limit provided: {limit}. Limit must be greater than or equal to 1.", "limit"
        )
    return limit


def _group_by(q: Query, allowed: Sequence[str]) -> tuple[str, ...]:
    requested = q.many("group_by") or []
    for g in requested:
        if g not in allowed:
            supported = ", ".join(f"'{a}'" for a in allowed)
            raise bad_request(
                f"Invalid group_by value: '{g}'. Supported values are: {supported}.", "group_by"
            )
    return tuple(a for a in allowed if a in requested)  # canonical order


def _window(q: Query, now: int) -> tuple[int, int]:
    start = q.required_integer("start_time")
    end = q.integer("end_time")
    if end is not None and end <= start:
        raise bad_request("'end_time' must be greater than 'start_time'.", "end_time")
    return start, min(end, now) if end is not None else now


def _iso(ts: int, with_tz: bool) -> str:
    text = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text + "+00:00" if with_tz else text


def _bucket(start: int, end: int, results: list[dict[str, object]], extras: bool) -> dict[str, object]:
    b: dict[str, object] = {"object": "bucket", "start_time": start, "end_time": end, "results": results}
    if extras:
        with_tz = zlib.crc32(str(start).encode()) % 3 != 0  # the live tz suffix is sometimes missing
        b["start_time_iso"] = _iso(start, with_tz)
        b["end_time_iso"] = _iso(end, with_tz)
    return b


def _page(buckets: list[dict[str, object]], q: Query, next_position: int | None) -> dict[str, object]:
    return {
        "object": "page",
        "data": buckets,
        "has_more": next_position is not None,
        "next_page": None if next_position is None else q.encode_cursor(next_position),
    }


def _completion_fields(v: Sequence[int]) -> dict[str, int]:
    req, in_text, in_audio, in_image, c_text, c_audio, c_image, c_write, out_text, out_audio, out_image = v
    cached = c_text + c_audio + c_image
    uncached = in_text + in_audio + in_image
    return {
        "input_tokens": cached + c_write + uncached,
        "input_cached_tokens": cached,
        "input_cache_write_tokens": c_write,
        "input_uncached_tokens": uncached,
        "output_tokens": out_text + out_audio + out_image,
        "input_text_tokens": in_text,
        "output_text_tokens": out_text,
        "input_cached_text_tokens": c_text,
        "input_audio_tokens": in_audio,
        "input_cached_audio_tokens": c_audio,
        "output_audio_tokens": out_audio,
        "input_image_tokens": in_image,
        "input_cached_image_tokens": c_image,
        "output_image_tokens": out_image,
        "num_model_requests": req,
    }


class Reports:
    def __init__(
        self,
        generator: Generator,
        costs: CostModel,
        extras: bool,
        amount_strings: bool,
        missing_units: bool = False,
    ) -> None:
        self.missing_units = missing_units
        self.generator = generator
        self.costs = costs
        self.extras = extras
        self.amount_strings = amount_strings

    # ---- usage -------------------------------------------------------------------------------
    def usage(self, org: Organization, name: str, q: Query, now: int) -> dict[str, object]:
        ep = catalog.ENDPOINTS[name]
        width_name = q.one("bucket_width") or "1d"
        if width_name not in WIDTHS:
            raise bad_request(
                f"Invalid bucket_width provided: {width_name}. Supported values are: '1m', '1h', '1d'.",
                "bucket_width",
            )
        width = WIDTHS[width_name]
        limit = _limit(q, *USAGE_LIMITS[width_name])
        group_by = _group_by(q, ep.group_dims)
        streams = self._filter(org.by_endpoint.get(name, []), ep, q)
        prepared = [(s, tuple(s.dim(g) for g in group_by)) for s in streams]
        distinct = sorted({k for _, k in prepared}, key=lambda k: tuple((x is None, str(x)) for x in k))
        rank = {k: i for i, k in enumerate(distinct)}
        start, end = _window(q, now)
        position = q.cursor_position()
        cur = start if position is None else position
        buckets = []
        while cur < end and len(buckets) < limit:
            b_end = min((cur // width + 1) * width, end)
            buckets.append(
                _bucket(
                    cur, b_end, self._usage_results(ep, prepared, rank, group_by, cur, b_end), self.extras
                )
            )
            cur = b_end
        return _page(buckets, q, cur if cur < end else None)

    def _filter(self, streams: list[Stream], ep: catalog.UsageEndpoint, q: Query) -> list[Stream]:
        out = streams
        for param, dim in ep.filters:
            if dim == "batch":
                flag = q.boolean("batch")
                if flag is not None:
                    out = [s for s in out if s.dims["batch"] is flag]
                continue
            values = q.many(param)
            if values is None:
                continue
            allowed = catalog.ENUM_VALUES.get(dim)
            for v in values:
                if allowed is not None and v not in allowed:
                    supported = ", ".join(f"'{a}'" for a in allowed)
                    raise bad_request(
                        f"Invalid value for '{param}': '{v}'. Supported values are: {supported}.", param
                    )
            wanted = set(values)
            out = [s for s in out if s.dim(dim) in wanted]
        return out

    def _usage_results(
        self,
        ep: catalog.UsageEndpoint,
        prepared: list[tuple[Stream, tuple[object, ...]]],
        rank: dict[tuple[object, ...], int],
        group_by: tuple[str, ...],
        start: int,
        end: int,
    ) -> list[dict[str, object]]:
        gen = self.generator
        groups: dict[tuple[object, ...], list[int]] = {}
        for s, key in prepared:
            if ep.level:
                level = gen.level(s, start // DAY)
                v: Sequence[int] | None = (level,) if level else None
            else:
                v = gen.bucket(s, start, end)
            if v is None:
                continue
            acc = groups.get(key)
            if acc is None:
                groups[key] = list(v)
            else:
                for i, x in enumerate(v):
                    acc[i] += x
        results = []
        absent_dims = ("user_id", "api_key_id") if self.extras else ()
        ungrouped = [d for d in ep.group_dims if d not in group_by]
        for key in sorted(groups, key=rank.__getitem__):
            v = groups[key]
            row: dict[str, object] = {"object": ep.result_object}
            row.update(
                _completion_fields(v) if ep.name == "completions" else dict(zip(ep.fields, v, strict=True))
            )
            row.update(zip(group_by, key, strict=True))
            # depends on the row's identity only, so filters never change how a row looks
            salt = zlib.crc32(f"{start}{key}".encode()) >> 3
            for d in ungrouped:
                if not (salt & 1 and d in absent_dims):
                    row[d] = None  # else: absent instead of null, as live
            if absent_dims and ep.name == "completions" and salt % 3 == 0:
                for f in _OPTIONAL_COMPLETION_FIELDS:
                    if row[f] == 0:
                        del row[f]
            results.append(row)
        return results

    # ---- costs -------------------------------------------------------------------------------
    def costs_report(self, org: Organization, q: Query, now: int) -> dict[str, object]:
        width_name = q.one("bucket_width") or "1d"
        if width_name != "1d":
            raise bad_request(
                f"Invalid bucket_width provided: {width_name}. Supported values are: '1d'.", "bucket_width"
            )
        limit = _limit(q, *COSTS_LIMIT)
        group_by = _group_by(q, catalog.COSTS_GROUP_DIMS)
        start, end = _window(q, now)
        if "api_key_id" in group_by and start < API_KEY_GROUPING_SINCE:
            raise bad_request(
                f"Grouping by api_key_id is not supported for start_time before {API_KEY_GROUPING_SINCE} "
                "(2025-12-06T00:00:00Z). Use a later start_time.",
                "start_time",
                "invalid_request_error",
            )
        projects = set(q.many("project_ids") or ())
        keys = set(q.many("api_key_ids") or ())
        position = q.cursor_position()
        day = start // DAY if position is None else position // DAY
        buckets = []
        while day * DAY < end and len(buckets) < limit:
            atoms = [
                a
                for a in self.costs.day_atoms(org, day, now)
                if (not projects or a.project_id in projects) and (not keys or a.api_key_id in keys)
            ]
            buckets.append(
                _bucket(
                    day * DAY, (day + 1) * DAY, self._cost_results(org, atoms, group_by, day), self.extras
                )
            )
            day += 1
        return _page(buckets, q, day * DAY if day * DAY < end else None)

    def _cost_results(
        self, org: Organization, atoms: Sequence[CostAtom], group_by: tuple[str, ...], day: int
    ) -> list[dict[str, object]]:
        dims = group_by
        if self.extras and group_by == ("line_item",):
            dims = ("project_id", "line_item")  # live still splits per project (CONTRACT §7 #5)
        groups: dict[tuple[object, ...], list[Decimal]] = {}
        for a in atoms:
            key = tuple(getattr(a, d) for d in dims)
            acc = groups.get(key)
            if acc is None:
                groups[key] = [a.amount, a.quantity]
            else:
                acc[0] += a.amount
                acc[1] += a.quantity
        names = {p.id: p.name for p in org.projects}
        results = []
        ordered: list[tuple[object, ...]] = list(groups)
        if dims != catalog.COSTS_GROUP_DIMS[: len(dims)]:  # else atoms came sorted on these keys already
            ordered.sort(key=lambda k: tuple("" if x is None else str(x) for x in k))
        for key in ordered:
            amount, quantity = groups[key]
            values = dict(zip(dims, key, strict=True))
            salt = zlib.crc32(f"{day}|{'|'.join(map(str, key))}".encode())
            line_item = values.get("line_item")
            row: dict[str, object] = {
                "object": "organization.costs.result",
                "amount": {"value": self._amount_value(amount, salt), "currency": "usd"},
                "line_item": line_item,
                "project_id": values.get("project_id"),
            }
            if "api_key_id" in values or not (self.extras and salt & 4):
                row["api_key_id"] = values.get("api_key_id")  # else absent, as live
            row["quantity"] = raw_number(quantity) if line_item is not None else None
            price = catalog.PRICES.get(str(line_item)) if line_item is not None else None
            if not (self.missing_units and salt % 7 == 0):  # else absent, as the schema allows
                row["quantity_unit"] = (
                    None if price is None or (self.missing_units and salt % 7 == 1) else price.quantity_unit
                )
            if self.extras:
                row["organization_id"] = org.org_id
                row["organization_name"] = org.spec.name
                if row["project_id"] is not None:
                    row["project_name"] = names.get(str(row["project_id"]))
                if salt & 8:
                    row["user_id"] = None
            results.append(row)
        return results

    def _amount_value(self, amount: Decimal, salt: int) -> object:
        if not self.amount_strings:
            return raw_number(amount)
        if amount == 0:
            return "0E-6176"
        mode = salt % 4
        if mode == 2:
            return format(amount, "f")
        if mode == 3:
            return format(amount.quantize(_LONG, context=_WIDE), "f")
        return raw_number(amount)
