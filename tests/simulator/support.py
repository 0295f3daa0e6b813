"""Helpers shared by the simulator tests."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from openai_simulator.server import SimulatorServer

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())
DAY = 86400


class Client:
    """Tiny HTTP helper bound to one organization's admin key."""

    def __init__(self, server: SimulatorServer, key: str) -> None:
        self.server = server
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def get(self, path: str, **params: object) -> requests.Response:
        return self.session.get(self.server.base_url + path, params=params, timeout=30)

    def ok(self, path: str, **params: object) -> dict:
        r = self.get(path, **params)
        assert r.status_code == 200, r.text
        return r.json()
