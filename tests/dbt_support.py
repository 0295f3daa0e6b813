"""dbt's command line for the suite's warehouses: they hold the simulated organizations, so they
build with the demo's seeds (var `demo`, seeds/demo/), as ./scripts/demo.sh does."""

from __future__ import annotations

import json
from collections.abc import Sequence

DEMO_VARS = {"demo": True}


def with_demo_vars(args: Sequence[str]) -> list[str]:
    """`args` with the demo var added to their --vars (JSON), or a --vars of its own."""
    args = list(args)
    if "--vars" not in args:
        return [*args, "--vars", json.dumps(DEMO_VARS)]
    position = args.index("--vars") + 1
    args[position] = json.dumps(DEMO_VARS | json.loads(args[position]))
    return args
