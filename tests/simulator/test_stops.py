"""Labelled stops (`Simulator.labelled_stops()`): spend that the organizations stop by design (an
archived project, a key whose owner left, a deleted key) is real in the costs: billed the day
before, never again from the stop day on."""

from __future__ import annotations

from datetime import timedelta

from openai_simulator import Simulator


def test_labelled_stops_are_real_in_the_costs(sim: Simulator) -> None:
    stops = sim.labelled_stops()
    assert {(s["org_id"], s["level"], s["reason"]) for s in stops} == {
        (org.org_id, level, reason)
        for org in sim.organizations
        for level, reason in (
            ("project", "project archived"),
            ("api_key", "key owner left the project"),
            ("api_key", "key deleted"),
        )
    }
    today = sim.now.date()
    for stop in stops:
        assert stop["kind"] == "stop" and stop["end_date"] is None and stop["model"] is None
        start = stop["start_date"]
        rows = sim.ground_truth_costs(str(stop["org_id"]), start - timedelta(days=1), today)

        def stopped(row: dict[str, object], stop: dict[str, object] = stop) -> bool:
            if row["project_id"] != stop["project_id"]:
                return False
            return stop["level"] == "project" or row["api_key_id"] == stop["api_key_id"]

        before = sum(r["amount"] for r in rows if stopped(r) and r["date"] < start)  # type: ignore[misc]
        after = sum(r["amount"] for r in rows if stopped(r) and r["date"] >= start)  # type: ignore[misc]
        assert before > 0, stop
        assert after == 0, stop


def test_ground_truth_file_lists_the_stops(sim: Simulator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    truth = json.loads(sim.write_ground_truth(tmp_path / "truth.json", include_daily_costs=False).read_text())
    assert len(truth["stops"]) == len(sim.labelled_stops()) > 0
    assert len(truth["anomalies"]) == 10
