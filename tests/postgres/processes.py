"""Worker processes for the tests: start ``_chaos_worker.py``, follow its output, signal it.

The tests act on what a worker prints (``result N``) and on its exit, never on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable
from pathlib import Path

from confirma_async.testing import Sandbox

WORKER = str(Path(__file__).with_name("_chaos_worker.py"))
REPO = str(Path(__file__).resolve().parents[2])
LOST = 3
"""The worker's exit status when it lost its lease (``JournalError``)."""
INTERRUPTED = 130
"""The worker's exit status when SIGINT stopped it (cleanly: its work was cancelled)."""

Proc = asyncio.subprocess.Process


async def start_worker(
    dsn: str,
    job_id: int,
    sandbox: Sandbox,
    *,
    lease: float,
    max_retries: int = 3,
    concurrency: int = 8,
    claim_size: int = 16,
    total_timeout: float = 0.25,
) -> Proc:
    """A worker process on job ``job_id`` against ``sandbox`` with its client token.

    The default ``total_timeout`` trips on the sandbox's ``slow`` answers (0.5 s).
    """
    env = {**os.environ, "CONFIRMA_API_KEY": sandbox.client_token, "PYTHONPATH": REPO}
    args = (dsn, job_id, sandbox.base_url, lease, max_retries, concurrency, claim_size)
    args += (total_timeout,)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        WORKER,
        *map(str, args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def results_reach(proc: Proc, k: int) -> bool:
    """Read ``proc``'s output until it reported ``k`` results (``True``) or ended (``False``)."""
    assert proc.stdout is not None
    while line := (await proc.stdout.readline()).decode():
        if line.startswith("result ") and int(line.split()[1]) >= k:
            return True
    return False


async def before_it_ends(proc: Proc, waiting: Awaitable[None]) -> None:
    """Await ``waiting``; fail with the worker's error output if the worker ends first."""
    waited, ending = asyncio.ensure_future(waiting), asyncio.ensure_future(proc.wait())
    await asyncio.wait((waited, ending), return_when=asyncio.FIRST_COMPLETED)
    if waited.done():
        ending.cancel()
        return await waited
    waited.cancel()
    assert proc.stderr is not None
    err = (await proc.stderr.read()).decode()[-3000:]
    raise AssertionError(f"the worker ended first: exit {proc.returncode}\n{err}")


def send(proc: Proc, sig: signal.Signals) -> None:
    """Signal ``proc`` unless it has ended already.

    ``os.kill``, not ``send_signal``: that polls the process first, and a poll that reaps one
    which just exited leaves asyncio's child watcher an unknown child (exit status 255).
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, sig)


async def ended(proc: Proc, why: str = "", *, interrupted: bool = False) -> int:
    """Wait for a worker to end; it must end cleanly or stop because its lease was lost (or, if
    it was sent SIGINT, stop as interrupted)."""
    _, err = await proc.communicate()
    ok = (0, LOST, INTERRUPTED) if interrupted else (0, LOST)
    assert proc.returncode in ok, f"{why}: exit {proc.returncode}\n{err.decode()[-3000:]}"
    return proc.returncode
