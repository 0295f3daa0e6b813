"""Alert channels and routing, from dlt config (`[alerts]`) or a TOML file, secrets kept apart.

Layout (in `.dlt/config.toml`, or a file passed with `--config` holding the same `[alerts]` table):

    [alerts]
    lookback_days = 7

    [alerts.channels.finops_slack]
    type = "slack"                     # slack | webhook | email

    [[alerts.routes]]
    channels = ["finops_slack"]
    kinds = ["anomaly", "budget", "load_run"]
    min_severity = "medium"
    orgs = ["org-..."]                 # optional: only these organizations
    projects = ["proj_..."]            # optional: only alerts about these projects

Secrets (webhook `url`, webhook `secret`, SMTP `password`) go in `.dlt/secrets.toml` under the same
channel table, or in the environment as `ALERTS__CHANNELS__<NAME>__<FIELD>`, or in any variable
named by `<field>_env = "VAR"`. They are held in fields that never print (repr=False).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openai_finops_surfaces.alerts.model import KIND_ALIASES, KINDS, SEVERITIES, Alert, severity_rank

CHANNEL_TYPES = ("slack", "webhook", "email")
SECRET_FIELDS = {"slack": ("url",), "webhook": ("url", "secret"), "email": ("password",)}
ANOMALY_LEVELS = ("org", "project", "project_model", "api_key")
_ENV_PREFIX = "ALERTS__CHANNELS__"


class AlertsConfigError(ValueError):
    """The alerts configuration is missing or invalid; the CLI exits 2 with this message."""


@dataclass(frozen=True)
class Channel:
    name: str
    type: str
    url: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    timeout_seconds: float = 10.0
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    recipients: tuple[str, ...] = ()

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for scrubbing error messages before they are logged or stored."""
        return tuple(value for value in (self.url, self.secret, self.password) if value)


@dataclass(frozen=True)
class Route:
    channels: tuple[str, ...]
    kinds: tuple[str, ...] = KINDS
    min_severity: str = "info"
    orgs: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    # The anomaly mart flags the same event at several levels; drivers already name the rest.
    anomaly_levels: tuple[str, ...] = ("org", "project")

    def matches(self, alert: Alert) -> bool:
        if alert.kind not in self.kinds or severity_rank(alert.severity) < severity_rank(self.min_severity):
            return False
        if alert.kind == "anomaly" and alert.series_level not in self.anomaly_levels:
            return False
        if self.orgs:
            alert_orgs = set(alert.details.get("organizations") or [alert.org_id])
            if not alert_orgs & set(self.orgs):
                return False
        return not self.projects or alert.project_id in self.projects


@dataclass(frozen=True)
class AlertsConfig:
    channels: dict[str, Channel]
    routes: tuple[Route, ...]
    lookback_days: int = 7
    max_attempts: int = 10
    # A run that claimed a delivery and died leaves it `sending`; after this it is retried.
    claim_lease_seconds: int = 900
    lock_timeout_seconds: float = 120.0

    def channels_for(self, alert: Alert) -> list[Channel]:
        names: list[str] = []
        for route in self.routes:
            if route.matches(alert):
                names.extend(name for name in route.channels if name not in names)
        return [self.channels[name] for name in names]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise AlertsConfigError(f"{where} must be a string or a list of strings")


def _secret(name: str, table: Mapping[str, Any], key: str, environ: Mapping[str, str]) -> str:
    from_env = environ.get(f"{_ENV_PREFIX}{name.upper()}__{key.upper()}")
    if from_env:
        return from_env
    indirect = table.get(f"{key}_env")
    if indirect:
        value = environ.get(str(indirect), "")
        if not value:
            raise AlertsConfigError(f"alerts channel {name}: environment variable {indirect} is not set")
        return value
    return str(table.get(key) or "")


def _channel(name: str, table: Mapping[str, Any], environ: Mapping[str, str]) -> Channel:
    kind = table.get("type")
    if kind not in CHANNEL_TYPES:
        raise AlertsConfigError(f"alerts channel {name}: type must be one of {', '.join(CHANNEL_TYPES)}")
    secrets = {key: _secret(name, table, key, environ) for key in SECRET_FIELDS[kind]}
    where = f"alerts.channels.{name}"
    if kind in ("slack", "webhook") and not secrets["url"]:
        raise AlertsConfigError(
            f"{where}: no url; set it in .dlt/secrets.toml or {_ENV_PREFIX}{name.upper()}__URL"
        )
    if kind == "webhook" and not secrets["secret"]:
        raise AlertsConfigError(
            f"{where}: no HMAC secret; set it in .dlt/secrets.toml or {_ENV_PREFIX}{name.upper()}__SECRET"
        )
    recipients = _strings(table.get("to"), f"{where}.to")
    if kind == "email" and not (recipients and table.get("from")):
        raise AlertsConfigError(f"{where}: email channels need `from` and `to`")
    try:
        return Channel(
            name=name,
            type=kind,
            timeout_seconds=float(table.get("timeout_seconds", 10.0)),
            smtp_host=str(table.get("smtp_host", "127.0.0.1")),
            smtp_port=int(table.get("smtp_port", 25)),
            starttls=bool(table.get("starttls", False)),
            ssl=bool(table.get("ssl", False)),
            username=str(table.get("username", "")),
            sender=str(table.get("from", "")),
            recipients=recipients,
            **secrets,
        )
    except (TypeError, ValueError) as error:
        raise AlertsConfigError(f"{where}: {error}") from None


def _route(index: int, table: Mapping[str, Any], channels: Mapping[str, Channel]) -> Route:
    where = f"alerts.routes[{index}]"
    names = _strings(table.get("channels"), f"{where}.channels")
    if not names:
        raise AlertsConfigError(f"{where}: no channels")
    unknown = [name for name in names if name not in channels]
    if unknown:
        raise AlertsConfigError(f"{where}: unknown channel(s) {', '.join(unknown)}")
    kinds: list[str] = []
    for kind in _strings(table.get("kinds"), f"{where}.kinds") or KINDS:
        expanded = KIND_ALIASES.get(kind, (kind,))
        if any(item not in KINDS for item in expanded):
            raise AlertsConfigError(f"{where}: unknown kind {kind!r} (known: {', '.join(KINDS)}, budget)")
        kinds.extend(expanded)
    min_severity = str(table.get("min_severity", "info"))
    if min_severity not in SEVERITIES:
        raise AlertsConfigError(f"{where}: min_severity must be one of {', '.join(SEVERITIES)}")
    levels = _strings(table.get("anomaly_levels"), f"{where}.anomaly_levels") or ("org", "project")
    if any(level not in ANOMALY_LEVELS for level in levels):
        raise AlertsConfigError(f"{where}: anomaly_levels must be among {', '.join(ANOMALY_LEVELS)}")
    return Route(
        channels=names,
        kinds=tuple(kinds),
        min_severity=min_severity,
        orgs=_strings(table.get("orgs"), f"{where}.orgs"),
        projects=_strings(table.get("projects"), f"{where}.projects"),
        anomaly_levels=levels,
    )


def parse_config(table: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> AlertsConfig:
    """Build the config from an `[alerts]` table (config and secrets merged)."""
    environ = os.environ if environ is None else environ
    channel_tables = dict(table.get("channels") or {})
    # A channel may be declared only through the environment (its type then comes from there too).
    for key in environ:
        if key.startswith(_ENV_PREFIX):
            name, _, attribute = key[len(_ENV_PREFIX) :].partition("__")
            if name and attribute == "TYPE":
                channel_tables.setdefault(name.lower(), {})["type"] = environ[key].lower()
    channels = {name: _channel(name, sub, environ) for name, sub in sorted(channel_tables.items())}
    routes = tuple(_route(index, sub, channels) for index, sub in enumerate(table.get("routes") or []))
    try:
        return AlertsConfig(
            channels=channels,
            routes=routes,
            lookback_days=int(table.get("lookback_days", 7)),
            max_attempts=int(table.get("max_attempts", 10)),
            claim_lease_seconds=int(table.get("claim_lease_seconds", 900)),
            lock_timeout_seconds=float(table.get("lock_timeout_seconds", 120.0)),
        )
    except (TypeError, ValueError) as error:
        raise AlertsConfigError(f"alerts: {error}") from None


def _merge(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif isinstance(value, Mapping):
            into[key] = {}
            _merge(into[key], value)
        else:
            into[key] = value


def _alerts_table_from_dlt() -> dict[str, Any]:
    """The `[alerts]` table merged over dlt's providers (config.toml, secrets.toml, ...).

    Read from the providers directly, like loader.settings does for admin keys, so that secret
    values never enter dlt's resolved-config trace.
    """
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    merged: dict[str, Any] = {}
    providers = list(Container()[PluggableRunContext].providers.providers)
    for provider in reversed(providers):  # lowest priority first
        if not provider.supports_sections:
            continue
        value, _ = provider.get_value("alerts", Any, None)
        if isinstance(value, Mapping):
            _merge(merged, value)
    return merged


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> AlertsConfig:
    """From a TOML file with an `[alerts]` table when given, else from dlt's configuration."""
    if path is not None:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise AlertsConfigError(f"cannot read alerts config {path}: {error}") from None
        table = document.get("alerts", document)
    else:
        table = _alerts_table_from_dlt()
    return parse_config(table, environ)
