"""`python -m loader alerts`: send what is new in the marts to the configured channels.

Exit codes: 0 nothing failed; 1 a delivery failed (it stays pending and is retried next run), or
no warehouse yet, or the warehouse failed; 2 bad flags or configuration.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys

from openai_finops_surfaces.alerts.config import AlertsConfigError, load_config
from openai_finops_surfaces.warehouse import (
    NoWarehouse,
    WarehouseConfigError,
    WarehouseError,
    target_from_profile,
)


def _configure_logging(quiet: bool, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("openai_finops_surfaces.alerts")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def run(args: argparse.Namespace) -> int:
    prog = "python -m loader alerts"
    _configure_logging(args.quiet, args.verbose)
    try:
        config = load_config(args.config)
        target = target_from_profile(args.target, args.profiles_dir)
    except (AlertsConfigError, WarehouseConfigError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    if args.lookback_days is not None:
        config = dataclasses.replace(config, lookback_days=args.lookback_days)
    if not config.routes:
        print(f"{prog}: error: no [[alerts.routes]] configured: nothing would be sent", file=sys.stderr)
        return 2

    from openai_finops_surfaces.alerts.run import dry_run, run_alerts

    try:
        if args.dry_run:
            print(dry_run(config, target, args.today))
            return 0
        summary = run_alerts(config, target, args.today)
    except WarehouseConfigError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except (NoWarehouse, WarehouseError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(
            f"{summary.found} alerts in the marts; sent {len(summary.sent)}, failed {len(summary.failed)}"
            + (" (pending, retried next run)" if summary.failed else "")
        )
    return 1 if summary.failed else 0
