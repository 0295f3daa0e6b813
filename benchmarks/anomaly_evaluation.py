"""Score mart_spend_anomalies against the simulator's labelled anomalies, next to a baseline.

    ./scripts/demo.sh                           # load the simulated organizations, dbt build
    .venv/bin/python benchmarks/anomaly_evaluation.py [--duckdb PATH] [--ground-truth FILE] [--labels]

The ground truth is the simulator's `labelled_anomalies()` (5 injected per organization: spikes,
a drop, a level shift, a new model) and `labelled_stops()` (spend that stops for good: an archived
project, a key whose owner left the project, a deleted key; kind `stop`, ongoing); with
`--injected-only`, the injected anomalies alone. Read from `--ground-truth` (the JSON
`Simulator.write_ground_truth()` writes) or, by default, rebuilt from the simulator's defaults
(`--seed`, default 7, default organizations) with its clock on the warehouse's latest loaded day,
which is what `python -m loader --demo` loaded (the labels depend only on the seed and the day).

Baseline, computed in the same run on the same daily series (`int_spend_daily`): a plain 14-day
mean and standard deviation with the day itself included, flagged when |z| > 3 (what popular dbt
anomaly tests do).

How a flag is judged, per level (org, project, project_model, api_key):
- A labelled anomaly touches the series at each level that contains it or that it contains
  (a project drop touches the org, the project and every model and key of that project; a
  model spike touches its project and org). Its days are start_date..end_date, and an ongoing
  one (no end_date) counts for `--ongoing-days` days (default 28, the detector's window).
- A flag is a true positive when a label touches its series on its day; it is ignored when only
  a label on a sibling dimension of the same project is active (a key's spike shows in the
  models that key used, which the labels do not name); otherwise it is a false positive.
- Recall counts every label that touches the level; "own-level recall" only the labels
  injected at that level (the project level's own labels are the project-wide drops).
- A label counts as found at a level when one of the series it touches there is flagged within
  start_date..end_date (an ongoing label: its first `--detect-days` days, default 7). Labels on a
  sibling dimension are not counted at that level. A stop counts for recall only at its own level
  and below (an archived project at project, model and key level; a stopped key at key level):
  the simulator injects its anomalies where they matter (the top model, the top key of a large
  project), while the keys that stop are whichever keys they are, often a few percent of their
  project, which nothing should flag at the project level. For precision a stop touches
  the same series as any label.
- Alerts: a series' flags at most `--episode-days` (default 2, the mart's
  `anomaly_episode_days`) days apart are one alert, what a person reads once. Alert precision
  counts an alert true when one of its days is a true positive, false when its days are false
  positives only. Flag precision rewards a detector that flags every day of a level shift; alert
  precision does not.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb

LEVELS = ("org", "project", "project_model", "api_key")
# How far from the top each level is; a stop counts for recall at its own depth and below.
_DEPTH = {"org": 0, "project": 1, "project_model": 2, "api_key": 2}
# The dimension each level adds under the project; org and project are ancestors of all.
_DIMENSION = {"project_model": "model", "api_key": "api_key_id"}

log = logging.getLogger("anomaly_evaluation")


@dataclass(frozen=True)
class Label:
    org_id: str
    kind: str
    level: str
    project_id: str
    model: str | None
    api_key_id: str | None
    start: date
    end: date | None


@dataclass(frozen=True)
class Flag:
    level: str
    org_id: str
    project_id: str | None
    model: str | None
    api_key_id: str | None
    day: date


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value))


def labels_from(records: Iterable[dict[str, object]]) -> list[Label]:
    return [
        Label(
            org_id=str(r["org_id"]),
            kind=str(r["kind"]),
            level=str(r["level"]),
            project_id=str(r["project_id"]),
            model=r.get("model"),  # type: ignore[arg-type]
            api_key_id=r.get("api_key_id"),  # type: ignore[arg-type]
            start=_as_date(r["start_date"]),  # type: ignore[arg-type]
            end=_as_date(r.get("end_date")),
        )
        for r in records
    ]


def simulated_labels(latest_day: date, seed: int, injected_only: bool = False) -> list[Label]:
    from openai_simulator import Simulator, SimulatorConfig

    now = datetime.combine(latest_day, time(12, 0), tzinfo=UTC)
    simulator = Simulator(SimulatorConfig(seed=seed, now=now))
    stops = [] if injected_only else simulator.labelled_stops()
    return labels_from([*simulator.labelled_anomalies(), *stops])


def relation(label: Label, flag: Flag) -> str:
    """How the label relates to the flag's series: 'touches', 'sibling' or 'none'."""
    if label.org_id != flag.org_id:
        return "none"
    if flag.level == "org":
        return "touches"
    if label.project_id != flag.project_id:
        return "none"
    if flag.level == "project" or label.level == "project":
        return "touches"
    dimension = _DIMENSION[flag.level]
    value = getattr(label, dimension)
    if value is None:
        return "sibling"
    return "touches" if value == getattr(flag, dimension) else "none"


def counts_for_recall(label: Label, level: str) -> bool:
    """Whether recall at `level` counts the label (see the module docstring: stops only at their
    own level and below; a label on a sibling dimension never)."""
    probe = Flag(level, label.org_id, label.project_id, label.model, label.api_key_id, label.start)
    if relation(label, probe) == "sibling":
        return False
    return label.kind != "stop" or _DEPTH[level] >= _DEPTH[label.level]


def in_window(label: Label, day: date, ongoing_days: int) -> bool:
    end = label.end or label.start + timedelta(days=ongoing_days - 1)
    return label.start <= day <= end


@dataclass
class Score:
    flags: int = 0
    true_positives: int = 0
    false_positives: int = 0
    ignored: int = 0
    labels: int = 0
    found: int = 0
    own_labels: int = 0
    own_found: int = 0
    alerts: int = 0
    true_alerts: int = 0
    false_alerts: int = 0

    @property
    def precision(self) -> float | None:
        judged = self.true_positives + self.false_positives
        return self.true_positives / judged if judged else None

    @property
    def alert_precision(self) -> float | None:
        judged = self.true_alerts + self.false_alerts
        return self.true_alerts / judged if judged else None

    @property
    def recall(self) -> float | None:
        return self.found / self.labels if self.labels else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None
        return 2 * p * r / (p + r)


def evaluate(
    flags: list[Flag],
    labels: list[Label],
    level: str,
    ongoing_days: int,
    detect_days: int,
    episode_days: int = 2,
) -> Score:
    score = Score()
    level_flags = sorted(
        (f for f in flags if f.level == level),
        key=lambda f: (f.org_id, f.project_id or "", f.model or "", f.api_key_id or "", f.day),
    )
    verdicts: list[str] = []
    for flag in level_flags:
        score.flags += 1
        relations = {relation(label, flag) for label in labels if in_window(label, flag.day, ongoing_days)}
        if "touches" in relations:
            score.true_positives += 1
            verdicts.append("TP")
        elif "sibling" in relations:
            score.ignored += 1
            verdicts.append("ignored")
        else:
            score.false_positives += 1
            verdicts.append("FP")
    # Alerts: a series' flags less than `episode_days` + 1 days apart are one alert (one event that
    # a person reads once); it is true when one of its days is, false when one is and none is true.
    alert: set[str] = set()
    for i, flag in enumerate(level_flags):
        previous = level_flags[i - 1] if i else None
        same_series = previous is not None and (
            previous.org_id,
            previous.project_id,
            previous.model,
            previous.api_key_id,
        ) == (flag.org_id, flag.project_id, flag.model, flag.api_key_id)
        if not (same_series and (flag.day - previous.day).days <= episode_days):  # type: ignore[union-attr]
            _close_alert(score, alert)
            alert = set()
        alert.add(verdicts[i])
    _close_alert(score, alert)
    for label in labels:
        touched = [f for f in level_flags if relation(label, f) == "touches"]
        if not counts_for_recall(label, level):
            continue
        found = any(in_window(label, f.day, detect_days) for f in touched)
        score.labels += 1
        score.found += found
        if label.level == level:
            score.own_labels += 1
            score.own_found += found
    return score


def _close_alert(score: Score, verdicts: set[str]) -> None:
    if not verdicts:
        return
    score.alerts += 1
    if "TP" in verdicts:
        score.true_alerts += 1
    elif "FP" in verdicts:
        score.false_alerts += 1


MART_FLAGS_SQL = """
    select series_level, org_id, project_id, model, api_key_id, spend_date
    from marts.mart_spend_anomalies
"""

BASELINE_FLAGS_SQL = """
    with stats as (
        select
            *,
            avg(cost_usd) over w as mean_14d,
            stddev_samp(cost_usd) over w as sd_14d,
            count(*) over w as days_14d
        from intermediate.int_spend_daily
        where is_complete_day
        window w as (partition by series_id order by spend_date rows between 13 preceding and current row)
    )
    select series_level, org_id, project_id, model, api_key_id, spend_date
    from stats
    where days_14d = 14 and sd_14d > 0 and abs(cost_usd - mean_14d) / sd_14d > 3
"""


def read_flags(con: duckdb.DuckDBPyConnection, sql: str) -> list[Flag]:
    return [Flag(*row) for row in con.execute(sql).fetchall()]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_table(results: list[tuple[str, str, Score]]) -> str:
    header = (
        "level",
        "method",
        "flags",
        "TP",
        "FP",
        "ignored",
        "precision",
        "recall",
        "F1",
        "own-level recall",
        "alerts",
        "alert precision",
    )
    rows = [
        (
            level,
            method,
            str(s.flags),
            str(s.true_positives),
            str(s.false_positives),
            str(s.ignored),
            _fmt(s.precision),
            f"{_fmt(s.recall)} ({s.found}/{s.labels})",
            _fmt(s.f1),
            f"{s.own_found}/{s.own_labels}" if s.own_labels else "-",
            str(s.alerts),
            f"{_fmt(s.alert_precision)} ({s.true_alerts}/{s.true_alerts + s.false_alerts})",
        )
        for level, method, s in results
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("| " + " | ".join("-" * w for w in widths) + " |")
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join(lines)


def label_findings(
    flags: list[Flag], labels: list[Label], level: str, detect_days: int
) -> list[date | str | None]:
    """Per label, the first day a series it touches at `level` is flagged within its detection
    window; None when not found, "n/a" when recall at the level does not count the label (a
    sibling dimension, a stop below its level: exactly the rule `evaluate` counts recall by)."""
    out: list[date | str | None] = []
    level_flags = [f for f in flags if f.level == level]
    for label in labels:
        if not counts_for_recall(label, level):
            out.append("n/a")
            continue
        days = sorted(
            f.day
            for f in level_flags
            if relation(label, f) == "touches" and in_window(label, f.day, detect_days)
        )
        out.append(days[0] if days else None)
    return out


def format_label_table(flags: list[Flag], labels: list[Label], detect_days: int) -> str:
    """One row per label: what it is, and at each level the first day it was found (or "missed")."""
    header = ("#", "org", "kind", "label level", "project", "model / key", "start", *LEVELS)
    findings = {level: label_findings(flags, labels, level, detect_days) for level in LEVELS}
    rows = []
    for i, label in enumerate(labels):
        cells = []
        for level in LEVELS:
            found = findings[level][i]
            if found == "n/a":
                cells.append("n/a")
            elif found is None:
                cells.append("missed")
            else:
                lag = (found - label.start).days  # type: ignore[operator]
                cells.append(f"{found}" + (f" (+{lag}d)" if lag else ""))
        rows.append(
            (
                str(i + 1),
                label.org_id[-6:],
                label.kind,
                label.level,
                label.project_id[-8:],
                (label.model or label.api_key_id or "-")[-20:],
                str(label.start),
                *cells,
            )
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("| " + " | ".join("-" * w for w in widths) + " |")
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duckdb", default=os.environ.get("OPENAI_FINOPS_DUCKDB", "warehouse/openai_finops.duckdb")
    )
    parser.add_argument("--ground-truth", type=Path, help="JSON written by Simulator.write_ground_truth()")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed of the demo load (default 7)")
    parser.add_argument(
        "--injected-only",
        action="store_true",
        help="score against the injected anomalies only, not the labelled stops",
    )
    parser.add_argument("--ongoing-days", type=int, default=28)
    parser.add_argument("--detect-days", type=int, default=7)
    parser.add_argument("--episode-days", type=int, default=2, help="flags this close are one alert")
    parser.add_argument(
        "--labels",
        action="store_true",
        help="also print one row per label: the first day mart_spend_anomalies found it at each level",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not Path(args.duckdb).exists():
        print(f"no warehouse at {args.duckdb}: run ./scripts/demo.sh first", file=sys.stderr)
        return 1
    with duckdb.connect(args.duckdb, read_only=True) as con:
        latest = con.execute("select max(spend_date) from intermediate.int_spend_daily").fetchone()[0]
        mart_flags = read_flags(con, MART_FLAGS_SQL)
        baseline_flags = read_flags(con, BASELINE_FLAGS_SQL)
    if args.ground_truth:
        records = json.loads(args.ground_truth.read_text())
        if isinstance(records, dict):
            stops = [] if args.injected_only else records.get("stops", [])
            records = [*records["anomalies"], *stops]
        labels = labels_from(records)
    else:
        labels = simulated_labels(latest, args.seed, args.injected_only)
    stops = sum(label.kind == "stop" for label in labels)
    print(
        f"{len(labels)} labelled anomalies ({stops} of them stops); "
        f"warehouse {args.duckdb}, latest loaded day {latest}"
    )
    results = []
    for level in LEVELS:
        for method, flags in (("mart_spend_anomalies", mart_flags), ("baseline_14d_zscore", baseline_flags)):
            results.append(
                (
                    level,
                    method,
                    evaluate(flags, labels, level, args.ongoing_days, args.detect_days, args.episode_days),
                )
            )
    print(format_table(results))
    if args.labels:
        print()
        print("mart_spend_anomalies, per label: first day found at each level (n/a: not counted there)")
        print(format_label_table(mart_flags, labels, args.detect_days))
    return 0


if __name__ == "__main__":
    sys.exit(main())
