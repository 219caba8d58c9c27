"""Start ``confirma sandbox`` in its own process for a benchmark, pinned away from the client.

On a machine with more than one CPU the sandbox gets the first CPU and this (client) process the
others, so the server's work is not billed to the client. The CPU set is read once at import:
after the first sandbox starts, this process is already pinned to fewer CPUs.
"""

from __future__ import annotations

import asyncio
import os
import sys

_CANNED_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_canned_server.py")
ALL_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


# ``python -m confirma_async.cli``, with the sandbox's garbage collector switched off first.
_NO_GC_MAIN = (
    "import gc, sys; gc.disable(); from confirma_async.cli import main; "
    "sys.argv[0] = 'confirma'; sys.exit(main())"
)


async def start_sandbox(
    *extra: str, collect_garbage: bool = True
) -> tuple[asyncio.subprocess.Process, str, str]:
    """Start a sandbox on a free port; return the process, its base URL and a client token.

    ``extra`` are further ``confirma sandbox`` options (``--records``, ``--max-window-days``, ...).
    ``collect_garbage=False`` runs the sandbox with Python's cyclic garbage collector off: a
    sandbox that stores tens of thousands of invoices spends tens of milliseconds in each full
    collection, at moments unrelated to the client, which lands on whichever side of a paired
    comparison happens to be running (measured: bare-loop rates swinging 3,300-8,700/s and pair
    ratios 0.56-1.73x with it on, 0.68-1.02x with it off). The server does the same work for
    both sides either way; only the random pauses go.
    """
    launch = ("-c", _NO_GC_MAIN) if not collect_garbage else ("-m", "confirma_async.cli")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *launch,
        "sandbox",
        "--port",
        "0",
        *extra,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    base_url = (await proc.stdout.readline()).decode().split()[-1]
    token = (await proc.stdout.readline()).decode().split()[-1]
    _pin_apart(proc.pid)
    return proc, base_url, token


async def start_canned_server() -> tuple[asyncio.subprocess.Process, str]:
    """Start ``_canned_server.py`` pinned like the sandbox; return the process and a base URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, _CANNED_SERVER, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    port = int((await proc.stdout.readline()).decode())
    _pin_apart(proc.pid)
    return proc, f"http://127.0.0.1:{port}/api/v1/partner"


def _pin_apart(server_pid: int) -> None:
    """The server on the first CPU, this process on the others (when there is more than one)."""
    if len(ALL_CPUS) > 1:
        os.sched_setaffinity(server_pid, {ALL_CPUS[0]})
        os.sched_setaffinity(0, set(ALL_CPUS[1:]))
