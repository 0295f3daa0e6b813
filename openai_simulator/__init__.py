"""A deterministic simulated OpenAI organization serving the Admin API Usage/Costs endpoints.

sim = Simulator(SimulatorConfig(seed=7, now=datetime(2026, 3, 10, 9, 30, tzinfo=UTC)))
with serve(sim) as server:
    server.base_url  # http://127.0.0.1:PORT/v1
"""

from openai_simulator.config import OrganizationSpec, SimulatorConfig
from openai_simulator.server import RequestRecord, SimulatorServer, serve
from openai_simulator.simulator import Simulator

__all__ = ["OrganizationSpec", "RequestRecord", "Simulator", "SimulatorConfig", "SimulatorServer", "serve"]
