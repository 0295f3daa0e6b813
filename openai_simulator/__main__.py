"""`python -m openai_simulator`: serve simulated OpenAI organizations until killed."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from openai_simulator.catalog import price_table_csv
from openai_simulator.config import SimulatorConfig, make_organization
from openai_simulator.faults import KINDS
from openai_simulator.server import SimulatorServer
from openai_simulator.simulator import Simulator

logger = logging.getLogger("openai_simulator")


def _now(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _faults(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in filter(None, text.split(",")):
        kind, _, rate = part.partition("=")
        if kind not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown fault kind {kind!r} (known: {', '.join(KINDS)})")
        try:
            out[kind] = float(rate)
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad rate in {part!r}; use kind=rate, e.g. 429=0.1") from None
    return out


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal: {text!r}") from None


def build_parser(prog: str = "python -m openai_simulator") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Serve deterministic simulated OpenAI organizations (Admin API usage, costs, "
        "metadata) on 127.0.0.1. "
        "Prints the base URL, then one line per organization: '<org_id> <admin_key>'.",
    )
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default 0: a free port)")
    p.add_argument("--seed", type=int, default=7, help="seed of all generated data (default 7)")
    p.add_argument(
        "--now",
        type=_now,
        default=None,
        help="the simulator clock, ISO 8601 (default: the current UTC minute); data ends here",
    )
    p.add_argument("--orgs", type=int, default=None, help="number of organizations (default 2)")
    p.add_argument("--projects", type=int, default=None, help="projects per organization")
    p.add_argument("--users", type=int, default=None, help="users per organization")
    p.add_argument(
        "--keys-per-project",
        type=int,
        default=None,
        help="API keys per project (the last is a service-account key)",
    )
    p.add_argument("--history-days", type=int, default=None, help="days of history before now (default 120)")
    p.add_argument(
        "--large",
        action="store_true",
        help="benchmark preset: 1 org, 100 projects, 1,000 users, 365 days of history",
    )
    p.add_argument(
        "--price-drift",
        type=_decimal,
        default=Decimal(0),
        help="billed price = table price x (1 + drift); default 0 (costs reconcile exactly)",
    )
    p.add_argument(
        "--restatement-days",
        type=int,
        default=3,
        help="recent days whose costs are still provisional and change as the clock moves (default 3)",
    )
    p.add_argument(
        "--faults",
        type=_faults,
        default={},
        help="random fault rates, e.g. 429=0.1,503=0.05 (kinds: " + ", ".join(KINDS) + ")",
    )
    p.add_argument("--fault-seed", type=int, default=1, help="seed of the random faults (default 1)")
    p.add_argument(
        "--no-extras",
        action="store_true",
        help="no undocumented live fields, no missing-instead-of-null keys",
    )
    p.add_argument(
        "--number-amounts",
        action="store_true",
        help="amount.value always a JSON number (default: mixed numbers and strings, as live)",
    )
    p.add_argument(
        "--no-missing-units",
        action="store_true",
        help="every cost line names its quantity_unit (default: some leave it out or null, as allowed)",
    )
    p.add_argument(
        "--refund-lines",
        action="store_true",
        help="a negative cost line (a refund) every seventh day",
    )
    p.add_argument(
        "--ground-truth",
        metavar="FILE",
        default=None,
        help="write labelled anomalies and daily cost totals as JSON to FILE on start",
    )
    p.add_argument("--print-prices", action="store_true", help="print the price table as CSV and exit")
    p.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")
    return p


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    kwargs: dict[str, object] = {
        "seed": args.seed,
        "price_drift": args.price_drift,
        "restatement_days": args.restatement_days,
        "extras": not args.no_extras,
        "amount_strings": not args.number_amounts,
        "missing_units": not args.no_missing_units,
        "refund_lines": args.refund_lines,
    }
    if args.now is not None:
        kwargs["now"] = args.now
    if args.large:
        config = SimulatorConfig.large(**kwargs)  # type: ignore[arg-type]
    else:
        sizes = {
            k: v
            for k, v in (
                ("projects", args.projects),
                ("users", args.users),
                ("keys_per_project", args.keys_per_project),
            )
            if v is not None
        }
        if args.orgs is not None or sizes:
            n = args.orgs if args.orgs is not None else 2
            kwargs["organizations"] = [make_organization(args.seed, i, **sizes) for i in range(n)]
        config = SimulatorConfig(**kwargs)  # type: ignore[arg-type]
    if args.history_days is not None:
        config.history_days = args.history_days
    return config


def main(argv: list[str] | None = None, prog: str = "python -m openai_simulator") -> int:
    args = build_parser(prog).parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.print_prices:
        sys.stdout.write(price_table_csv())
        return 0
    sim = Simulator(config_from_args(args))
    for kind, rate in args.faults.items():
        logger.info("random faults %s at rate %s", kind, rate)
    if args.faults:
        total = sum(args.faults.values())
        # one combined rate; the kind is drawn in proportion to the individual rates
        kinds = tuple(k for k, r in args.faults.items() for _ in range(max(1, round(r * 100))))
        sim.faults.random(rate=min(1.0, total), kinds=kinds, seed=args.fault_seed)
    if args.ground_truth:
        sim.write_ground_truth(args.ground_truth)
    server = SimulatorServer(sim, port=args.port).start()
    print(server.base_url, flush=True)
    for org in sim.organizations:
        print(f"{org.org_id} {org.admin_key}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
