"""Shared fixtures: one simulator served for the whole session (it is read-only unless a test says so)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openai_simulator import Simulator, SimulatorConfig, serve
from openai_simulator.server import SimulatorServer

from .support import NOW, Client


@pytest.fixture(scope="session")
def sim() -> Simulator:
    return Simulator(SimulatorConfig(seed=7, now=NOW))


@pytest.fixture(scope="session")
def server(sim: Simulator) -> Iterator[SimulatorServer]:
    with serve(sim) as s:
        yield s


@pytest.fixture(scope="session")
def client(sim: Simulator, server: SimulatorServer) -> Client:
    return Client(server, sim.organizations[0].admin_key)


@pytest.fixture()
def fresh() -> Iterator[tuple[Simulator, SimulatorServer]]:
    """A private simulator for tests that move the clock or inject faults."""
    s = Simulator(SimulatorConfig(seed=11, now=NOW))
    with serve(s) as srv:
        yield s, srv
