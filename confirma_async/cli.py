"""The ``confirma`` command line.

``confirma sandbox``  serve a local CFIS sandbox (``--port``, ``--seed``, ``--fault``, ...)
``confirma demo``     run the client end to end against an in-process sandbox (no network, < 30 s)

Fault specs for ``--fault`` (repeatable)::

    TARGET:ACTION[:RATE][:xN]
    TARGET  *  |  METHOD  |  PATH  |  'METHOD PATH'      (PATH after /api/v1/partner, fnmatch)
    ACTION  500 | 502 | 503 | 504 | 429[=SECONDS] | drop | commit-drop | slow[=DURATION]
            | latency=DURATION[+JITTER]
    RATE    0.1 or 10%  (default: every matching request);  xN = only the next N matching requests
    tokens:expire=DURATION   every token issued before now+DURATION expires then

    e.g. --fault 'POST /invoice:503:0.1' --fault '*:latency=20ms+10ms' --fault 'tokens:expire=60s'

Only the standard library and this package are imported at start-up; the sandbox and the client are
imported by the subcommand that needs them.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .testing import SandboxConfig

_FAULT_HELP = (
    "inject a fault, repeatable: TARGET:ACTION[:RATE][:xN], e.g. 'POST /invoice:503:0.1', "
    "'*:latency=20ms+10ms', 'GET /payments:429=2:5%%', 'POST /invoice:commit-drop:x3', "
    "'*:drop:0.01', 'GET *:slow=30s:x1', 'tokens:expire=60s'. ACTION is 500|502|503|504, "
    "429[=SECONDS], drop, commit-drop, slow[=DURATION] or latency=DURATION[+JITTER]"
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``confirma``."""
    parser = argparse.ArgumentParser(
        prog="confirma", description="Tools for the Confirma Finance Integrations API client."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    sandbox = commands.add_parser(
        "sandbox",
        help="serve a local CFIS sandbox",
        description="Serve a local emulation of CFIS under /api/v1/partner until Ctrl-C.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8080, help="port, 0 = any (default 8080)")
    sandbox.add_argument("--seed", type=int, default=0, help="seed of tokens, data and faults")
    sandbox.add_argument("--fault", action="append", default=[], metavar="SPEC", help=_FAULT_HELP)
    sandbox.add_argument(
        "--records", type=int, default=0, help="generated distribution records (e.g. 1000000)"
    )
    sandbox.add_argument("--payments", type=int, default=0, help="generated payment records")
    sandbox.add_argument("--days", type=int, default=365, help="days the generated data spans")
    sandbox.add_argument(
        "--max-records", type=int, default=10_000, help="most records in one response"
    )
    sandbox.add_argument(
        "--max-window-days", type=int, default=366, help="longest date window (413 beyond)"
    )
    sandbox.set_defaults(func=_run_sandbox)

    demo = commands.add_parser(
        "demo",
        help="run the client end to end against an in-process sandbox",
        description="Upload generated invoices, stream their distribution records, read a case, "
        "payments and settlements, and print a summary. No credentials, no network.",
    )
    demo.add_argument("--invoices", type=int, default=1000, help="invoices to upload")
    demo.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    demo.add_argument("--seed", type=int, default=0, help="sandbox seed")
    demo.set_defaults(func=_run_demo)
    return parser


def sandbox_config(args: argparse.Namespace) -> SandboxConfig:
    """Turn ``confirma sandbox`` arguments into a :class:`SandboxConfig` (faults parsed)."""
    from .testing import FaultRule, SandboxConfig
    from .testing._faults import parse_token_expiry

    rules: list[FaultRule] = []
    expiry = None
    for spec in args.fault:
        token_expiry = parse_token_expiry(spec)
        if token_expiry is not None:
            expiry = token_expiry
        else:
            rules.append(FaultRule.parse(spec))
    return SandboxConfig(
        seed=args.seed,
        faults=tuple(rules),
        expire_tokens_after=expiry,
        generated_records=args.records,
        generated_payments=args.payments,
        generated_days=args.days,
        max_records_per_response=args.max_records,
        max_window_days=args.max_window_days,
    )


async def serve(config: SandboxConfig, host: str, port: int) -> None:
    """Serve a sandbox until SIGINT/SIGTERM, printing where it listens and the tokens to use."""
    from .testing import Sandbox

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Sandbox(config, host=host, port=port) as sb:
        print(f"CFIS sandbox listening on {sb.base_url}", flush=True)
        print(f"  client token:  {sb.client_token}", flush=True)
        print(f"  partner token: {sb.partner_token}", flush=True)
        print(f"  admin:         {sb.admin_url}/state", flush=True)
        for rule in config.faults:
            print(f"  fault:         {rule}", flush=True)
        if config.expire_tokens_after is not None:
            print(f"  tokens expire: after {config.expire_tokens_after}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await stop.wait()
    print("sandbox stopped", flush=True)


def _run_sandbox(args: argparse.Namespace) -> int:
    try:
        config = sandbox_config(args)
    except ValueError as exc:
        print(f"confirma sandbox: {exc}", file=sys.stderr)
        return 2
    asyncio.run(serve(config, args.host, args.port))
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from .testing._demo import run_demo

    return asyncio.run(
        run_demo(invoices=args.invoices, concurrency=args.concurrency, seed=args.seed)
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``confirma`` console script."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
