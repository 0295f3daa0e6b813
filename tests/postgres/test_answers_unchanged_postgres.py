"""The models answer on PostgreSQL as they did: the six simulator seeds of
tests/answers_support.py against tests/answers/postgres.json."""

from __future__ import annotations

from pathlib import Path

import pytest
from answers_support import check

pytestmark = pytest.mark.postgres


def test_answers_on_six_seeds_are_unchanged_on_postgres(tmp_path: Path) -> None:
    assert check("postgres", tmp_path) == []
