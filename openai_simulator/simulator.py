"""The Simulator facade: organizations, clock, faults and ground truth."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from openai_simulator.config import OrganizationSpec, SimulatorConfig
from openai_simulator.costs import CostModel
from openai_simulator.faults import FaultInjector
from openai_simulator.generator import Generator
from openai_simulator.reports import Reports
from openai_simulator.world import DAY, Organization, Stream, build_organization, date_to_day, day_to_date


class Simulator:
    """A deterministic set of simulated OpenAI organizations; serve it over HTTP with `serve()`."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self._lock = threading.Lock()
        self._now = int(self.config.now.timestamp())
        anchor_day = self._now // DAY
        self.first_day = anchor_day - self.config.history_days
        self._orgs = [
            build_organization(spec, self.config.seed, self.first_day, anchor_day)
            for spec in self.config.resolved_organizations()
        ]
        self._by_key = {o.spec.admin_key: o for o in self._orgs}
        self._by_id = {o.org_id: o for o in self._orgs}
        self.generator = Generator(
            self.config.seed, self.first_day, [s for o in self._orgs for s in o.streams]
        )
        self.cost_model = CostModel(
            self.config.seed,
            self.generator,
            self.config.price_drift,
            self.config.restatement_days,
            refund_lines=self.config.refund_lines,
        )
        self.reports = Reports(
            self.generator,
            self.cost_model,
            self.config.extras,
            self.config.amount_strings,
            missing_units=self.config.missing_units,
        )
        self.faults = FaultInjector()

    # ---- organizations -----------------------------------------------------------------------
    @property
    def organizations(self) -> list[OrganizationSpec]:
        return [o.spec for o in self._orgs]

    def org(self, org_id: str) -> Organization:
        """The full entity model (projects, users, keys, streams) of one organization."""
        try:
            return self._by_id[org_id]
        except KeyError:
            raise KeyError(f"unknown organization {org_id!r}") from None

    def org_for_key(self, admin_key: str) -> Organization | None:
        return self._by_key.get(admin_key)

    # ---- clock -------------------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ts, UTC)

    @property
    def now_ts(self) -> int:
        with self._lock:
            return self._now

    @property
    def history_start(self) -> date:
        """The first day with data."""
        return day_to_date(self.first_day)

    def set_now(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        with self._lock:
            self._now = int(now.timestamp())

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
        delta = timedelta(days=days, hours=hours, minutes=minutes)
        with self._lock:
            self._now += int(delta.total_seconds())
        return self.now

    # ---- ground truth ------------------------------------------------------------------------
    def ground_truth_costs(self, org_id: str, start_date: date, end_date: date) -> list[dict[str, object]]:
        """Key-level cost rows exactly as /costs serves them now, for start_date through end_date (inclusive).

        `api_key_id` is None for spend not attributed to a key (vector store storage, code interpreter).
        """
        org, now = self.org(org_id), self.now_ts
        rows: list[dict[str, object]] = []
        for day in range(date_to_day(start_date), date_to_day(end_date) + 1):
            for a in self.cost_model.day_atoms(org, day, now):
                rows.append(
                    {
                        "date": day_to_date(day),
                        "project_id": a.project_id,
                        "line_item": a.line_item,
                        "api_key_id": a.api_key_id,
                        "amount": a.amount,
                        "quantity": a.quantity,
                        "quantity_unit": a.quantity_unit,
                    }
                )
        return rows

    def daily_cost_totals(self, org_id: str, start_date: date, end_date: date) -> dict[date, Decimal]:
        totals: dict[date, Decimal] = {}
        for row in self.ground_truth_costs(org_id, start_date, end_date):
            d = row["date"]
            assert isinstance(d, date) and isinstance(row["amount"], Decimal)
            totals[d] = totals.get(d, Decimal(0)) + row["amount"]
        return totals

    def labelled_anomalies(self) -> list[dict[str, object]]:
        """Injected anomalies: end_date is the last anomalous day (inclusive), None when ongoing."""
        return [dict(a) for o in self._orgs for a in o.anomalies]

    def labelled_stops(self) -> list[dict[str, object]]:
        """Spend that stops for good, in the same form as `labelled_anomalies()` (kind `stop`,
        factor 0, ongoing): an archived project (level project) and a key whose usage ends while
        its project goes on (level api_key: the owner who left the project, the deleted key).
        The organizations are built that way, not injected as anomalies; a stop is labelled when
        the project or key had usage the day before and the stop is in the history before now."""
        today = self._now // DAY
        out: list[dict[str, object]] = []
        for o in self._orgs:
            for project in o.projects:
                if project.archived_at is not None:
                    day = project.archived_at // DAY
                    if self._stops(o, day, lambda s, pid=project.id: s.project_id == pid, today):
                        out.append(_stop(o.org_id, "project", project.id, None, day, "project archived"))
            for key in o.keys:
                if key.end_day is not None:
                    reason = "key deleted" if key.deleted else "key owner left the project"
                    if self._stops(o, key.end_day, lambda s, kid=key.id: s.api_key_id == kid, today):
                        out.append(_stop(o.org_id, "api_key", key.project_id, key.id, key.end_day, reason))
        return out

    def _stops(self, org: Organization, day: int, belongs: Callable[[Stream], bool], today: int) -> bool:
        """Whether streams of a project or key had usage before `day` and all of theirs end on it."""
        streams = [s for s in org.streams if belongs(s)]
        return (
            self.first_day < day < today
            and any(s.start_day < day and s.end_day == day for s in streams)
            and all(s.end_day is not None and s.end_day <= day for s in streams)
        )

    def write_ground_truth(self, path: str | Path, include_daily_costs: bool = True) -> Path:
        out: dict[str, object] = {
            "seed": self.config.seed,
            "now": self.now.isoformat(),
            "history_start": self.history_start.isoformat(),
            "organizations": [{"org_id": o.org_id, "name": o.spec.name} for o in self._orgs],
            "anomalies": [_jsonable(a) for a in self.labelled_anomalies()],
            "stops": [_jsonable(a) for a in self.labelled_stops()],
        }
        if include_daily_costs:
            today = day_to_date(self.now_ts // DAY)
            out["daily_costs"] = [
                {"org_id": o.org_id, "date": d.isoformat(), "amount": str(v)}
                for o in self._orgs
                for d, v in sorted(self.daily_cost_totals(o.org_id, self.history_start, today).items())
            ]
        p = Path(path)
        p.write_text(json.dumps(out, indent=2) + "\n")
        return p

    def key_last_used(self, org: Organization) -> dict[str, int]:
        """last_used_at per key: the last active hour before now (coarse, deterministic)."""
        now = self.now_ts
        out: dict[str, int] = {}
        for k in org.keys:
            if k.created_at >= now:
                continue
            end = now if k.end_day is None else min(now, k.end_day * DAY)
            out[k.id] = max(k.created_at, end - 1800 - (k.created_at % 1800))
        return out


def _stop(
    org_id: str, level: str, project_id: str, key_id: str | None, day: int, reason: str
) -> dict[str, object]:
    return {
        "org_id": org_id,
        "kind": "stop",
        "level": level,
        "project_id": project_id,
        "model": None,
        "api_key_id": key_id,
        "start_date": day_to_date(day),
        "end_date": None,
        "factor": 0.0,
        "reason": reason,
    }


def _jsonable(record: dict[str, object]) -> dict[str, object]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in record.items()}
