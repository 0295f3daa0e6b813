"""The Admin API endpoints the loader reads: paths, group-by dimensions, page sizes, tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

# OpenAI refuses costs grouped by api_key_id for windows that start before this day (quirk #3).
COSTS_KEY_GROUPING_FROM = datetime(2025, 12, 6, tzinfo=UTC)

# Largest page sizes, in buckets per page (contract §3.1).
USAGE_PAGE_LIMITS = {"1d": 31, "1h": 168, "1m": 1440}
COSTS_PAGE_LIMIT = 180
LIST_PAGE_LIMIT = 100


@dataclass(frozen=True)
class ReportEndpoint:
    """A bucketed report (/organization/usage/* or /organization/costs)."""

    name: str  # short name used by --endpoints
    table: str
    path: str
    group_by: tuple[str, ...]


USAGE_ENDPOINTS: tuple[ReportEndpoint, ...] = tuple(
    ReportEndpoint(name, f"usage_{name}", f"/organization/usage/{name}", dims)
    for name, dims in (
        ("completions", ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")),
        ("embeddings", ("project_id", "user_id", "api_key_id", "model")),
        ("moderations", ("project_id", "user_id", "api_key_id", "model")),
        ("images", ("project_id", "user_id", "api_key_id", "model", "size", "source")),
        ("audio_speeches", ("project_id", "user_id", "api_key_id", "model")),
        ("audio_transcriptions", ("project_id", "user_id", "api_key_id", "model")),
        ("vector_stores", ("project_id",)),
        ("code_interpreter_sessions", ("project_id",)),
        ("file_search_calls", ("project_id", "user_id", "api_key_id", "vector_store_id")),
        ("web_search_calls", ("project_id", "user_id", "api_key_id", "model", "context_level")),
    )
)

COSTS_ENDPOINT = ReportEndpoint("costs", "costs", "/organization/costs", ("project_id", "line_item"))
COSTS_BY_KEY_GROUP_BY = ("project_id", "line_item", "api_key_id")

METADATA_TABLES = ("projects", "users", "project_api_keys", "project_service_accounts")

ALL_ENDPOINT_NAMES: tuple[str, ...] = (
    *(endpoint.name for endpoint in USAGE_ENDPOINTS),
    COSTS_ENDPOINT.name,
    *METADATA_TABLES,
)


def group_by_label(dimensions: tuple[str, ...]) -> str:
    """The `group_by` column value: the requested set, sorted and comma-joined."""
    return ",".join(sorted(dimensions))


def parse_endpoint_names(text: str) -> tuple[str, ...]:
    """`completions,costs,usage_images` -> canonical short names, in catalogue order."""
    aliases = {name: name for name in ALL_ENDPOINT_NAMES}
    aliases.update({endpoint.table: endpoint.name for endpoint in USAGE_ENDPOINTS})
    wanted: set[str] = set()
    for raw in text.split(","):
        name = raw.strip()
        if not name:
            continue
        if name not in aliases:
            raise ValueError(f"unknown endpoint {name!r} (known: {', '.join(ALL_ENDPOINT_NAMES)})")
        wanted.add(aliases[name])
    if not wanted:
        raise ValueError("--endpoints is empty")
    return tuple(name for name in ALL_ENDPOINT_NAMES if name in wanted)


# Documented result fields, declared up front so every table has a stable column set even when a
# field is always null or absent (dlt would otherwise not create the column). Undocumented fields
# still land: schema evolution adds them as they appear.
_DIMENSION_TYPES = {
    "project_id": "text",
    "user_id": "text",
    "api_key_id": "text",
    "model": "text",
    "batch": "bool",
    "service_tier": "text",
    "size": "text",
    "source": "text",
    "vector_store_id": "text",
    "context_level": "text",
    "line_item": "text",
}
_USAGE_METRICS: dict[str, tuple[str, ...]] = {
    "completions": (
        "input_tokens",
        "input_cached_tokens",
        "input_cache_write_tokens",
        "input_uncached_tokens",
        "output_tokens",
        "input_text_tokens",
        "output_text_tokens",
        "input_cached_text_tokens",
        "input_audio_tokens",
        "input_cached_audio_tokens",
        "output_audio_tokens",
        "input_image_tokens",
        "input_cached_image_tokens",
        "output_image_tokens",
        "num_model_requests",
    ),
    "embeddings": ("input_tokens", "num_model_requests"),
    "moderations": ("input_tokens", "num_model_requests"),
    "images": ("images", "num_model_requests"),
    "audio_speeches": ("characters", "num_model_requests"),
    "audio_transcriptions": ("seconds", "num_model_requests"),
    "vector_stores": ("usage_bytes",),
    "code_interpreter_sessions": ("num_sessions",),
    "file_search_calls": ("num_requests",),
    "web_search_calls": ("num_model_requests", "num_requests"),
}
# Fields OpenAI's schema marks required on each usage result (besides `object`): a result without
# one is quarantined, not loaded as a row that reads as zero usage. Every metric is, but the
# breakdowns of completions' tokens.
REQUIRED_USAGE_METRICS: dict[str, tuple[str, ...]] = {
    **_USAGE_METRICS,
    "completions": ("input_tokens", "output_tokens", "num_model_requests"),
}
COSTS_FIELDS: dict[str, dict[str, object]] = {
    "object": {"data_type": "text"},
    "amount__value": {"data_type": "decimal", "precision": 38, "scale": 18},
    "amount__currency": {"data_type": "text"},
    "line_item": {"data_type": "text"},
    "project_id": {"data_type": "text"},
    "api_key_id": {"data_type": "text"},
    "quantity": {"data_type": "decimal", "precision": 38, "scale": 9},
    "quantity_unit": {"data_type": "text"},
}
METADATA_FIELDS: dict[str, dict[str, str]] = {
    "projects": {
        "id": "text",
        "object": "text",
        "name": "text",
        "created_at": "bigint",
        "archived_at": "bigint",
        "status": "text",
        "external_key_id": "text",
    },
    "users": {
        "id": "text",
        "object": "text",
        "name": "text",
        "email": "text",
        "role": "text",
        "added_at": "bigint",
    },
    "project_api_keys": {
        "id": "text",
        "object": "text",
        "name": "text",
        "redacted_value": "text",
        "created_at": "bigint",
        "last_used_at": "bigint",
        "owner_project_access": "text",
        "owner__type": "text",
        "owner__user__id": "text",
        "owner__user__name": "text",
        "owner__user__email": "text",
        "owner__user__role": "text",
        "owner__user__created_at": "bigint",
        "owner__service_account__id": "text",
        "owner__service_account__name": "text",
        "owner__service_account__role": "text",
        "owner__service_account__created_at": "bigint",
    },
    "project_service_accounts": {
        "id": "text",
        "object": "text",
        "name": "text",
        "role": "text",
        "created_at": "bigint",
    },
}


def required_fields(endpoint: ReportEndpoint) -> tuple[str, ...]:
    if endpoint is COSTS_ENDPOINT:
        return ()  # amount.value is checked with the cost decimals (loader.rows.quarantine_reason)
    return REQUIRED_USAGE_METRICS[endpoint.name]


def result_fields(endpoint: ReportEndpoint) -> dict[str, dict[str, object]]:
    if endpoint is COSTS_ENDPOINT:
        return dict(COSTS_FIELDS)
    fields: dict[str, dict[str, object]] = {"object": {"data_type": "text"}}
    fields.update({metric: {"data_type": "bigint"} for metric in _USAGE_METRICS[endpoint.name]})
    fields.update({dim: {"data_type": _DIMENSION_TYPES[dim]} for dim in endpoint.group_by})
    return fields
