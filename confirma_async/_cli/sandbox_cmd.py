"""``confirma sandbox`` (serve a local CFIS emulation) and ``confirma demo``.

The sandbox and the demo are imported only when these commands run.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..testing import DialectName, SandboxConfig

FAULT_HELP = (
    "Inject a fault, repeatable: TARGET:ACTION, optionally followed by :RATE and :xN, e.g. "
    "'POST /invoice:503:0.1', '*:latency=20ms+10ms', 'GET /payments:429=2:5%', "
    "'POST /invoice:commit-drop:x3', "
    "'*:drop:0.01', 'GET *:slow=30s:x1', 'tokens:expire=60s'. ACTION is 500|502|503|504, "
    "429[=SECONDS], drop, commit-drop, slow[=DURATION] or latency=DURATION[+JITTER]; RATE is "
    "0.1 or 10% (default: every matching request); xN: only the next N matching requests; "
    "client=ID: only requests with a token of that client."
)


def sandbox_config(
    *,
    seed: int = 0,
    faults: Sequence[str] = (),
    records: int = 0,
    payments: int = 0,
    days: int = 365,
    max_records: int = 10_000,
    max_window_days: int = 366,
    dialect: DialectName = "reference",
) -> SandboxConfig:
    """Turn ``confirma sandbox`` options into a :class:`SandboxConfig` (fault specs parsed).

    Raises ``ValueError`` for a bad fault spec or limit.
    """
    from ..testing import FaultRule, SandboxConfig, parse_token_expiry

    rules: list[FaultRule] = []
    expiry = None
    for spec in faults:
        token_expiry = parse_token_expiry(spec)
        if token_expiry is not None:
            expiry = token_expiry
        else:
            rules.append(FaultRule.parse(spec))
    return SandboxConfig(
        seed=seed,
        faults=tuple(rules),
        expire_tokens_after=expiry,
        generated_records=records,
        generated_payments=payments,
        generated_days=days,
        max_records_per_response=max_records,
        max_window_days=max_window_days,
        dialect=dialect,
    )


class ListenError(Exception):
    """The sandbox could not listen on the address asked for (port in use, unknown host)."""


def _reason(exc: Exception) -> str:
    """The operating system's words for ``exc`` (``Address already in use``), not asyncio's."""
    if not isinstance(exc, OSError):
        return str(exc)  # a host name that cannot be encoded
    if isinstance(exc, socket.gaierror) or not exc.errno or exc.errno < 0:
        return exc.strerror or str(exc)
    return os.strerror(exc.errno)


async def serve(
    config: SandboxConfig, host: str, port: int, fault_specs: Sequence[str] = ()
) -> None:
    """Serve a sandbox until SIGINT/SIGTERM, printing where it listens and the tokens to use.

    ``fault_specs`` are the ``--fault`` specs as given (printed as they were written). The
    closing lines are ready to paste into a shell (``export CONFIRMA_...``). Raises
    :class:`ListenError` when it cannot listen on ``host:port``.
    """
    from ..testing import Sandbox

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sb = Sandbox(config, host=host, port=port)
    try:
        await sb.start()
    except (OSError, UnicodeError) as exc:  # port in use, bad host, no permission: one line
        raise ListenError(f"cannot listen on {host}:{port}: {_reason(exc)}") from None
    try:
        # The sandbox's own tokens are test credentials, printed so that clients can use them.
        print(f"CFIS sandbox listening on {sb.base_url}", flush=True)
        print(f"  client token:  {sb.client_token}", flush=True)
        print(f"  partner token: {sb.partner_token}", flush=True)
        print(f"  admin:         {sb.admin_url}/state", flush=True)
        for spec in (s for s in fault_specs if not s.strip().startswith("tokens:")):
            print(f"  fault:         {spec}", flush=True)
        if config.expire_tokens_after is not None:
            print(f"  tokens expire: after {config.expire_tokens_after}", flush=True)
        if config.dialect != "reference":
            print(f"  dialect:       {config.dialect}", flush=True)
        print("To use it from a shell, paste:", flush=True)
        print("  unset CONFIRMA_ENVIRONMENT CONFIRMA_TOKEN_FILE", flush=True)
        for name, value in (
            ("CONFIRMA_BASE_URL", sb.base_url),
            ("CONFIRMA_API_KEY", sb.client_token),
            ("CONFIRMA_PARTNER_TOKEN", sb.partner_token),
        ):
            print(f"  export {name}={shlex.quote(value)}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await stop.wait()
    finally:
        await sb.stop()
    print("sandbox stopped", flush=True)


@click.command(
    "sandbox",
    short_help="Serve a local CFIS sandbox.",
    epilog="Fault TARGET is *, METHOD, PATH or 'METHOD PATH' (PATH after /api/v1/partner, "
    "fnmatch). 'tokens:expire=DURATION' makes every token issued before now+DURATION expire "
    "then.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port; 0 = any free port.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of tokens, data, faults."
)
@click.option("--fault", "faults", multiple=True, metavar="SPEC", help=FAULT_HELP)
@click.option(
    "--records", type=int, default=0, help="Generated distribution records (e.g. 1000000)."
)
@click.option("--payments", type=int, default=0, help="Generated payment records.")
@click.option("--days", type=int, default=365, show_default=True, help="Days the data spans.")
@click.option(
    "--max-records", type=int, default=10_000, show_default=True, help="Most records a response."
)
@click.option(
    "--max-window-days",
    type=int,
    default=366,
    show_default=True,
    help="Longest date window (413 beyond).",
)
@click.option(
    "--dialect",
    type=click.Choice(["reference", "alternate"]),
    default="reference",
    show_default=True,
    help="How guessed response shapes are spelt: as docs/api-assumptions.md chose, or each "
    "differently (documented facts kept) to test a client against an API that guessed otherwise.",
)
def sandbox_command(
    host: str,
    port: int,
    seed: int,
    faults: tuple[str, ...],
    records: int,
    payments: int,
    days: int,
    max_records: int,
    max_window_days: int,
    dialect: DialectName,
) -> None:
    """Serve a local emulation of CFIS under /api/v1/partner until Ctrl-C.

    It prints its base URL, a client token and a partner token (test credentials of the sandbox,
    not secrets), then the export lines to paste into a shell to use it. Admin and inspection
    routes live under /_sandbox.
    """
    try:
        config = sandbox_config(
            seed=seed,
            faults=faults,
            records=records,
            payments=payments,
            days=days,
            max_records=max_records,
            max_window_days=max_window_days,
            dialect=dialect,
        )
    except ValueError as exc:
        click.echo(f"confirma sandbox: {exc}", err=True)
        click.get_current_context().exit(2)
    try:
        asyncio.run(serve(config, host, port, faults))
    except ListenError as exc:
        click.echo(f"confirma sandbox: {exc}", err=True)
        click.get_current_context().exit(1)


@click.command("demo", short_help="Run the client end to end against an in-process sandbox.")
@click.option("--invoices", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Sandbox seed.")
def demo_command(invoices: int, concurrency: int, seed: int) -> None:
    """Run the client end to end against an in-process sandbox.

    Upload generated invoices, stream their distribution records, read a case, payments and
    settlements, and print a summary. No credentials, no network (the sandbox is in-process).
    """
    from .demo import run_demo

    code = asyncio.run(run_demo(invoices=invoices, concurrency=concurrency, seed=seed))
    click.get_current_context().exit(code)
