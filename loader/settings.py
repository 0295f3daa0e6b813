"""Every setting of the loader in one place: organizations, endpoints, windows, paths, retries.

Organizations come from dlt's usual configuration:

    # .dlt/config.toml (committed)           # .dlt/secrets.toml (ignored by git)
    [sources.openai.organizations.acme]      [sources.openai.organizations.acme]
    org_id = "org-..."                       admin_key = "sk-admin-..."

or environment variables (`SOURCES__OPENAI__ORGANIZATIONS__ACME__ADMIN_KEY`, `..._ORG_ID`). With
none configured, a single organization is read from `OPENAI_ADMIN_KEY` and `OPENAI_ORG_ID`.

The organization id is always given, never guessed: the Admin API does not return it, and a bill
stored under an invented id would be stored again, doubled, under the real one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

# The warehouse the loader writes by default; profiles.yml names the same file for dbt.
DEFAULT_DUCKDB = "warehouse/openai_finops.duckdb"
# `--demo` keeps the simulated organizations in a warehouse of their own.
DEMO_DUCKDB = "warehouse/demo.duckdb"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
# `--demo` keeps the simulated organizations in a warehouse and pipeline of their own.
DEMO_PIPELINE_NAME = "openai_finops_demo"
# Project-local (and ignored by git), so pipeline state and traces never land in ~/.dlt.
DEFAULT_PIPELINES_DIR = ".dlt/pipelines"
PIPELINE_NAME = "openai_finops"
DATASET_NAME = "openai_raw"
# Must agree with dbt's var('lookback_days'): both re-read the days OpenAI may still restate.
DEFAULT_LOOKBACK_DAYS = 3
DEFAULT_BACKFILL_DAYS = 90
BUCKET_WIDTHS = ("1d", "1h", "1m")

_ORG_ENV_PREFIX = "SOURCES__OPENAI__ORGANIZATIONS__"
WHERE_THE_ORG_ID_IS = (
    "find it at platform.openai.com > Settings > Organization > General, 'Organization ID' (org-...)"
)


class ConfigError(ValueError):
    """A setting is missing or invalid; the CLI reports it in one line with exit code 2."""


@dataclass(frozen=True)
class Organization:
    name: str
    org_id: str
    # repr=False keeps the key out of every log line or traceback that prints the object.
    admin_key: str = field(repr=False)
    # One of the simulated organizations of `--demo`, never a real bill.
    simulated: bool = False

    @property
    def key_hint(self) -> str:
        """At most the last four characters, the only part of a key we ever show."""
        return f"...{self.admin_key[-4:]}" if len(self.admin_key) > 8 else "..."

    @property
    def label(self) -> str:
        return self.org_id if self.name == self.org_id else f"{self.name} ({self.org_id})"


@dataclass(frozen=True)
class RetryPolicy:
    """Time limits of the HTTP client; `[sources.openai.http]` in .dlt/config.toml sets them.

    A server that accepts and never answers costs at most read_timeout x max_attempts per
    request (plus backoff), and an organization at most its deadline.
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 60.0
    # Multiplies every sleep (including Retry-After); tests set it tiny.
    sleep_scale: float = 1.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    organization_deadline: float = 30 * 60.0  # seconds of requests per organization and run


# Keys of [sources.openai.http] (or SOURCES__OPENAI__HTTP__<KEY>) and the RetryPolicy field each sets.
HTTP_SETTINGS = {
    "connect_timeout_seconds": "connect_timeout",
    "read_timeout_seconds": "read_timeout",
    "max_attempts": "max_attempts",
    "organization_deadline_minutes": "organization_deadline",
}


def retry_policy_from_config() -> RetryPolicy:
    """The HTTP limits from dlt's config providers; each must be a number above zero."""
    values: dict[str, float] = {}
    for key, attribute in HTTP_SETTINGS.items():
        for provider in _providers():
            if not provider.supports_sections:
                continue
            value, _ = provider.get_value(key, Any, None, "sources", "openai", "http")
            if value is None:
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = 0.0
            if number <= 0 or (attribute == "max_attempts" and number != int(number)):
                raise ConfigError(
                    f"[sources.openai.http] {key} = {value!r}: expected a "
                    f"{'whole ' if attribute == 'max_attempts' else ''}number above 0"
                )
            values[attribute] = number * 60 if key.endswith("_minutes") else number
            break
    if "max_attempts" in values:
        values["max_attempts"] = int(values["max_attempts"])
    return RetryPolicy(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LoaderSettings:
    organizations: tuple[Organization, ...]
    base_url: str = DEFAULT_BASE_URL
    endpoints: tuple[str, ...] = ()  # empty: all
    start: date | None = None
    end: date | None = None
    bucket_width: str = "1d"
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    backfill_days: int = DEFAULT_BACKFILL_DAYS
    full_refresh: bool = False
    destination: str = "duckdb"
    # Parquet loads many times faster than INSERT statements where the destination takes it.
    prefer_parquet: bool = True
    duckdb_path: Path = Path(DEFAULT_DUCKDB)
    pipelines_dir: Path = Path(DEFAULT_PIPELINES_DIR)
    pipeline_name: str = PIPELINE_NAME
    dataset_name: str = DATASET_NAME
    # The run's frozen clock; None means the wall clock at the start of the run.
    now: datetime | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Per organization id, the first day costs are read on a first load, when earlier than the
    # backfill (the current period of its longest budget, loader/budget_periods.py).
    costs_backfill_from: Mapping[str, date] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.bucket_width not in BUCKET_WIDTHS:
            raise ConfigError(f"--bucket-width must be one of {', '.join(BUCKET_WIDTHS)}")
        if self.lookback_days < 0:
            raise ConfigError("--lookback-days must be 0 or more")
        if self.start and self.end and self.start > self.end:
            raise ConfigError(f"--start {self.start} is after --end {self.end}")
        if self.now is not None and self.now.tzinfo is None:
            raise ConfigError("now must be timezone-aware")
        today = self.run_now().date()
        if self.start and self.start > today:
            raise ConfigError(f"--start {self.start} is after today ({today} UTC): nothing to load yet")

    def run_now(self) -> datetime:
        return (self.now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def _providers() -> list[Any]:
    return list(Container()[PluggableRunContext].providers.providers)


def _org_tables_from_providers() -> dict[str, dict[str, Any]]:
    """Merge `sources.openai.organizations` from every dlt provider, without dlt's resolve trace.

    Reading providers directly (not dlt.secrets[...]) keeps the admin keys out of the resolved
    values dlt records for its traces.
    """
    merged: dict[str, dict[str, Any]] = {}
    for provider in reversed(_providers()):  # lowest priority first, so higher ones override
        if not provider.supports_sections:
            continue
        value, _ = provider.get_value("organizations", Any, None, "sources", "openai")
        if isinstance(value, Mapping):
            for name, table in value.items():
                if isinstance(table, Mapping):
                    merged.setdefault(str(name), {}).update(table)
    for env_key, env_value in os.environ.items():
        if env_key.startswith(_ORG_ENV_PREFIX):
            name, _, attribute = env_key[len(_ORG_ENV_PREFIX) :].partition("__")
            if name and attribute:
                merged.setdefault(name.lower(), {})[attribute.lower()] = env_value
    return merged


def configured_organizations(environ: Mapping[str, str] | None = None) -> tuple[Organization, ...]:
    """Organizations from dlt config/secrets/env; else the single `OPENAI_ADMIN_KEY` organization."""
    environ = os.environ if environ is None else environ
    organizations: list[Organization] = []
    for name, table in sorted(_org_tables_from_providers().items()):
        admin_key = str(table.get("admin_key") or "").strip()
        if not admin_key:
            raise ConfigError(
                f"organization {name} has no admin_key: set [sources.openai.organizations.{name}] "
                f"admin_key in .dlt/secrets.toml or SOURCES__OPENAI__ORGANIZATIONS__{name.upper()}__ADMIN_KEY"
            )
        org_id = str(table.get("org_id") or "").strip()
        if not org_id:
            raise ConfigError(
                f"organization {name} has no org_id: set [sources.openai.organizations.{name}] org_id in "
                f".dlt/config.toml or SOURCES__OPENAI__ORGANIZATIONS__{name.upper()}__ORG_ID; "
                + WHERE_THE_ORG_ID_IS
            )
        _check_org_id(org_id, f"[sources.openai.organizations.{name}] org_id")
        organizations.append(Organization(name=name, org_id=org_id, admin_key=admin_key))
    if organizations:
        return tuple(organizations)
    admin_key = environ.get("OPENAI_ADMIN_KEY", "").strip()
    if admin_key:
        org_id = environ.get("OPENAI_ORG_ID", "").strip()
        if not org_id:
            raise ConfigError(
                "OPENAI_ADMIN_KEY is set but OPENAI_ORG_ID is not: the Admin API does not say which "
                f"organization a key belongs to, so set OPENAI_ORG_ID; {WHERE_THE_ORG_ID_IS}"
            )
        _check_org_id(org_id, "OPENAI_ORG_ID")
        return (Organization(name=org_id, org_id=org_id, admin_key=admin_key),)
    return ()


def _check_org_id(org_id: str, where: str) -> None:
    if not org_id.startswith("org-") or len(org_id) < 5 or any(c.isspace() for c in org_id):
        raise ConfigError(f"{where} = {org_id!r} is not an organization id (org-...); {WHERE_THE_ORG_ID_IS}")


def select_organizations(
    organizations: tuple[Organization, ...], wanted: list[str] | None
) -> tuple[Organization, ...]:
    if not wanted:
        return organizations
    by_name = {org.name: org for org in organizations} | {org.org_id: org for org in organizations}
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        known = ", ".join(org.name for org in organizations) or "none"
        raise ConfigError(f"unknown organization {', '.join(unknown)} (configured: {known})")
    return tuple(dict.fromkeys(by_name[name] for name in wanted))


def base_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return (environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def duckdb_path_from_env(environ: Mapping[str, str] | None = None, demo: bool = False) -> Path:
    """The DuckDB warehouse: OPENAI_FINOPS_DUCKDB, else the real (or with `demo` the demo's) default."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("OPENAI_FINOPS_DUCKDB") or (DEMO_DUCKDB if demo else DEFAULT_DUCKDB))


def pipelines_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("OPENAI_FINOPS_PIPELINES_DIR") or DEFAULT_PIPELINES_DIR)
