"""The models answer as they did: six simulator seeds, every mart and surface table and every
anomaly flag, against the answers kept in tests/answers/duckdb.json (tests/answers_support.py).

A change that means to change answers rewrites them (`tests/answers_support.py --write`, on
both engines) and says why in its commit."""

from __future__ import annotations

from pathlib import Path

from answers_support import check


def test_answers_on_six_seeds_are_unchanged(tmp_path: Path) -> None:
    assert check("duckdb", tmp_path) == []
