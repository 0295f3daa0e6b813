"""Configuration of the simulated OpenAI organizations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from openai_simulator.prng import token

# OpenAI refuses costs grouped by api_key_id for windows starting before this instant (CONTRACT §7 #3).
API_KEY_GROUPING_SINCE = 1764979200


@dataclass(frozen=True)
class OrganizationSpec:
    """One simulated organization. Counts describe its size; the entities are derived from the seed."""

    org_id: str
    name: str
    admin_key: str
    projects: int = 6
    users: int = 20
    keys_per_project: int = 3
    archived_projects: int = 1

    def __post_init__(self) -> None:
        if not self.org_id.startswith("org-"):
            raise ValueError(f"org_id must start with 'org-': {self.org_id!r}")
        if not self.admin_key.startswith("sk-admin-"):
            raise ValueError("admin_key must start with 'sk-admin-'")
        if self.projects < 2 or self.users < 2 or self.keys_per_project < 2:
            raise ValueError("an organization needs at least 2 projects, 2 users and 2 keys per project")
        if not 0 <= self.archived_projects < self.projects:
            raise ValueError("archived_projects must leave at least one active project")


def make_organization(seed: int, index: int, name: str | None = None, **sizes: int) -> OrganizationSpec:
    """An organization whose ids and admin key are derived from (seed, index)."""
    return OrganizationSpec(
        org_id="org-" + token(seed, "org", index),
        name=name or f"Simulated Org {index + 1}",
        admin_key="sk-admin-sim-" + token(seed, "admin-key", index, length=40),
        **sizes,
    )


def default_organizations(seed: int) -> list[OrganizationSpec]:
    return [
        make_organization(seed, 0, "Acme Analytics", projects=6, users=20, keys_per_project=3),
        make_organization(seed, 1, "Globex Research", projects=5, users=16, keys_per_project=2),
    ]


def _minute_now() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


@dataclass
class SimulatorConfig:
    """Everything that determines the simulated data. Same config (incl. `now`) = same responses."""

    seed: int = 7
    now: datetime = field(default_factory=_minute_now)
    organizations: list[OrganizationSpec] | None = None
    history_days: int = 120
    # Billed unit price = table price x (1 + price_drift); 0 means costs reconcile exactly with usage.
    price_drift: Decimal = Decimal(0)
    restatement_days: int = 3
    # Undocumented live fields and keys missing instead of null (CONTRACT §7 #5).
    extras: bool = True
    # amount.value sometimes a decimal string, as seen live (CONTRACT §7 #4); off = always a JSON number.
    amount_strings: bool = True
    # Some cost lines leave `quantity_unit` out or null, as the schema allows (it is optional and
    # arrived 2026-08-21; CONTRACT §3.4); off = every line names its unit.
    missing_units: bool = True
    # A refund each seventh day: a negative cost line ("refund, service credit") for one project.
    refund_lines: bool = False

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("SimulatorConfig.now must be timezone-aware (UTC)")
        if self.history_days < 1 or self.restatement_days < 0:
            raise ValueError("history_days must be >= 1 and restatement_days >= 0")
        if not isinstance(self.price_drift, Decimal):
            self.price_drift = Decimal(str(self.price_drift))

    def resolved_organizations(self) -> list[OrganizationSpec]:
        orgs = self.organizations if self.organizations is not None else default_organizations(self.seed)
        if not orgs:
            raise ValueError("at least one organization is required")
        if len({o.admin_key for o in orgs}) != len(orgs) or len({o.org_id for o in orgs}) != len(orgs):
            raise ValueError("organization ids and admin keys must be unique")
        return list(orgs)

    @classmethod
    def large(cls, seed: int = 7, now: datetime | None = None, **overrides: object) -> SimulatorConfig:
        """Benchmark preset: one organization, 100 projects, 1,000 users, a year of history."""
        org = make_organization(seed, 0, "Initech Enterprise", projects=100, users=1000, keys_per_project=3)
        kwargs: dict[str, object] = {"seed": seed, "organizations": [org], "history_days": 365}
        if now is not None:
            kwargs["now"] = now
        kwargs.update(overrides)
        return cls(**kwargs)  # type: ignore[arg-type]
