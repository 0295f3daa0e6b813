"""What an alert is: a kind, a subject and a day, which together make its identity."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

KINDS = ("anomaly", "budget_actual", "budget_forecast", "load_run")
# "budget" in a route stands for both budget kinds.
KIND_ALIASES = {"budget": ("budget_actual", "budget_forecast")}
SEVERITIES = ("info", "low", "medium", "high")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def alert_id_for(kind: str, subject: str, day: date) -> str:
    """Deterministic: the same event found by any run, on any machine, has the same id."""
    return hashlib.sha256(f"{kind}|{subject}|{day.isoformat()}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Alert:
    kind: str
    subject: str
    day: date
    severity: str
    title: str
    summary: str
    org_id: str | None = None
    project_id: str | None = None
    # Ordered (label, value) pairs for people: Slack fields, email tables.
    facts: tuple[tuple[str, str], ...] = ()
    # Machine-readable values for the JSON webhook; decimals as strings so nothing is rounded.
    details: dict[str, Any] = field(default_factory=dict)
    # Anomalies only: org, project, project_model or api_key.
    series_level: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown alert kind {self.kind!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def alert_id(self) -> str:
        return alert_id_for(self.kind, self.subject, self.day)

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "subject": self.subject,
                "day": self.day.isoformat(),
                "severity": self.severity,
                "title": self.title,
                "summary": self.summary,
                "org_id": self.org_id,
                "project_id": self.project_id,
                "facts": [list(pair) for pair in self.facts],
                "details": self.details,
                "series_level": self.series_level,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Alert:
        data = json.loads(text)
        return cls(
            kind=data["kind"],
            subject=data["subject"],
            day=date.fromisoformat(data["day"]),
            severity=data["severity"],
            title=data["title"],
            summary=data["summary"],
            org_id=data["org_id"],
            project_id=data["project_id"],
            facts=tuple((label, value) for label, value in data["facts"]),
            details=data["details"],
            series_level=data["series_level"],
        )
