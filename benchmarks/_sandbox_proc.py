"""Start ``confirma sandbox`` in its own process for a benchmark, pinned away from the client.

On a machine with more than one CPU the sandbox gets the first CPU and this (client) process the
others, so the server's work is not billed to the client. The CPU set is read once at import:
after the first sandbox starts, this process is already pinned to fewer CPUs.
"""

from __future__ import annotations

import asyncio
import os
import sys

ALL_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


async def start_sandbox(*extra: str) -> tuple[asyncio.subprocess.Process, str, str]:
    """Start a sandbox on a free port; return the process, its base URL and a client token.

    ``extra`` are further ``confirma sandbox`` options (``--records``, ``--max-window-days``, ...).
    """
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "confirma_async.cli",
        "sandbox",
        "--port",
        "0",
        *extra,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    base_url = (await proc.stdout.readline()).decode().split()[-1]
    token = (await proc.stdout.readline()).decode().split()[-1]
    if len(ALL_CPUS) > 1:
        os.sched_setaffinity(proc.pid, {ALL_CPUS[0]})
        os.sched_setaffinity(0, set(ALL_CPUS[1:]))
    return proc, base_url, token
