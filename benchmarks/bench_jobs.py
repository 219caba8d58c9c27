"""Bulk jobs on PostgreSQL: 1, 2 and 4 worker processes over one job against a 20 ms sandbox.

Setup:

- A throwaway PostgreSQL cluster on 127.0.0.1 (``ThrowawayPostgres``: the server binaries on the
  machine, durability off as for any test cluster) and the sandbox in its own process with every
  request delayed 20 ms (``*:latency=20ms``), pinned to the first CPU as in the other benchmarks.
- For each worker count, a fresh job of ``--items`` invoices is loaded (not timed), then that many
  ``_jobs_worker.py`` processes (``BulkJob.work``, ``--concurrency`` requests in flight each) work
  it. Throughput is items over the span from the start signal to the last result any worker
  got (process start-up is not counted; nor is the last write of results, up to a second later).
  Each count runs ``--repeat`` times, alternating the order; medians are reported.
- The workers are latency-bound by design (concurrency 4 each at 20 ms is at most 200 items/s a
  worker), so the figure measures the store's and the workers' scaling, not the sandbox's ceiling;
  the sandbox's CPU use during the 4-worker runs is printed to show it is not the bottleneck.
- Store cost: the CPU time of every PostgreSQL process of the cluster (postmaster and backends,
  from ``/proc``: live ones plus the children it reaped) during the work phase, per item, less
  what the same number of workers costs on an empty job (connections, migration check,
  registration: a cost per worker, not per item; both figures are printed); against the workers'
  own CPU time per item (``time.process_time`` around ``work``).
- Workers connect first and start together on a signal (a line on stdin); the span runs from
  that signal to the last result written.

Goals: 4 workers >= 3.5x the throughput of 1; PostgreSQL time per item < 10 % of the client's CPU
per item (claims and results batched, not a round trip per item).
Run: ``.venv/bin/python benchmarks/bench_jobs.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import asyncpg
from _results import figure, write
from _sandbox_proc import start_sandbox

from confirma_async import JobStore
from confirma_async.testing import sample_invoice
from confirma_async.testing._postgres import ThrowawayPostgres

HERE = Path(__file__).resolve().parent
WORKER = str(HERE / "_jobs_worker.py")
TICKS = os.sysconf("SC_CLK_TCK")
COUNTS = (1, 2, 4)


def pg_cpu(data_dir: Path) -> float:
    """CPU seconds of the cluster so far: the postmaster, its reaped children, its live ones."""
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def start_workers(
    dsn: str, job_id: int, base_url: str, token: str, count: int, args: argparse.Namespace
) -> list[asyncio.subprocess.Process]:
    """Start ``count`` workers on the job and wait until each is connected (not yet working)."""
    env = {**os.environ, "CONFIRMA_API_KEY": token}
    procs = []
    for _ in range(count):
        command = [WORKER, dsn, str(job_id), base_url, str(args.concurrency), str(args.claim)]
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
            )
        )
    for proc in procs:
        assert proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"ready"
    return procs


async def work(procs: list[asyncio.subprocess.Process]) -> list[list[str]]:
    """Let the workers go; wait for them; return what each printed."""
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    outputs = [(await proc.communicate())[0].decode().split() for proc in procs]
    assert all(p.returncode == 0 for p in procs), "a worker failed"
    return outputs


async def fixed_cost(
    dsn: str, data_dir: Path, base_url: str, token: str, count: int, args: argparse.Namespace
) -> float:
    """PostgreSQL CPU seconds that ``count`` workers cost on a job with nothing to do."""
    async with await JobStore.connect(dsn) as store:
        job = await store.load([])
    before = pg_cpu(data_dir)
    await work(await start_workers(dsn, job.id, base_url, token, count, args))
    return pg_cpu(data_dir) - before


async def one_run(
    dsn: str,
    data_dir: Path,
    sandbox: tuple[str, str, int],
    workers: int,
    args: argparse.Namespace,
    first: int,
    fixed: float,
) -> dict[str, float]:
    base_url, token, sandbox_pid = sandbox
    async with await JobStore.connect(dsn) as store:
        job = await store.load(
            sample_invoice(first + i, payment_control=False) for i in range(args.items)
        )
    procs = await start_workers(dsn, job.id, base_url, token, workers, args)
    conn = await asyncpg.connect(dsn)
    try:
        pg_before, sb_before = pg_cpu(data_dir), proc_cpu(sandbox_pid)
        go = time.time()
        outputs = await work(procs)
        pg_after, sb_after = pg_cpu(data_dir), proc_cpu(sandbox_pid)
        span = max(float(out[2]) for out in outputs) - go
        done = await conn.fetchval(
            "SELECT count(*) FROM confirma_job_items WHERE job_id = $1 AND state = 'created'",
            job.id,
        )
    finally:
        await conn.close()
    assert done == args.items, f"{done} of {args.items} created"
    client_cpu = sum(float(out[1]) for out in outputs)
    pg = pg_after - pg_before
    return {
        "rate": args.items / float(span),
        "pg_us": pg / args.items * 1e6,
        "pg_marginal_us": max(0.0, pg - fixed) / args.items * 1e6,
        "client_us": client_cpu / args.items * 1e6,
        "sandbox_busy": (sb_after - sb_before) / float(span),
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer items, one run a count")
    parser.add_argument("--items", type=int, default=None, help="invoices per job")
    parser.add_argument("--repeat", type=int, default=None, help="runs per worker count")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight a worker")
    parser.add_argument("--claim", type=int, default=128, help="items a claim (and a flush)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    args.items = args.items or (2_000 if args.quick else 6_000)
    args.repeat = args.repeat or (1 if args.quick else 2)

    sandbox, base_url, token = await start_sandbox("--fault", "*:latency=20ms")
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in COUNTS}
    try:
        with ThrowawayPostgres() as pg:
            dsn = pg.create_database("bench")
            data_dir = Path(str(pg._dir)) / "data"
            first = 500_000_001
            fixed = {n: await fixed_cost(dsn, data_dir, base_url, token, n, args) for n in COUNTS}
            for repeat in range(args.repeat):
                order = COUNTS if repeat % 2 == 0 else tuple(reversed(COUNTS))
                for workers in order:
                    result = await one_run(
                        dsn,
                        data_dir,
                        (base_url, token, sandbox.pid),
                        workers,
                        args,
                        first,
                        fixed[workers],
                    )
                    first += args.items
                    runs[workers].append(result)
                    print(
                        f"  {workers} worker(s): {result['rate']:7.0f} items/s, "
                        f"PostgreSQL {result['pg_us']:5.1f} us/item "
                        f"({result['pg_marginal_us']:5.1f} beyond start-up), "
                        f"client {result['client_us']:6.0f} us/item, "
                        f"sandbox busy {result['sandbox_busy']:.0%}",
                        flush=True,
                    )
    finally:
        sandbox.terminate()
        await sandbox.wait()

    def med(n: int, key: str) -> float:
        return statistics.median(r[key] for r in runs[n])

    base = med(1, "rate")
    figures = []
    print(
        f"\nbulk jobs: {args.items} invoices a job, concurrency {args.concurrency} a worker, "
        f"claims of {args.claim}, 20 ms latency, {args.repeat} run(s) a count (medians)"
    )
    for n in COUNTS:
        ratio = med(n, "rate") / base
        goal_ok = ratio >= 3.5 if n == 4 else None
        mark = "" if goal_ok is None else ("  OK" if goal_ok else "  MISSED")
        print(
            f"  {n} worker(s): {med(n, 'rate'):7.0f} items/s  {ratio:4.2f}x vs 1 worker"
            f"{'  (goal >= 3.5x)' if n == 4 else ''}{mark}"
        )
        figures.append(figure(f"{n} workers, items/s", med(n, "rate"), "/s"))
        if n > 1:
            figures.append(
                figure(f"{n} workers vs 1", ratio, "x", ">= 3.5x" if n == 4 else None, goal_ok)
            )
    pg_us = statistics.median(r["pg_us"] for rs in runs.values() for r in rs)
    marginal = statistics.median(r["pg_marginal_us"] for rs in runs.values() for r in rs)
    client_us = statistics.median(r["client_us"] for rs in runs.values() for r in rs)
    share = marginal / client_us
    ok = share < 0.10
    print(
        f"  PostgreSQL time per item: {marginal:.1f} us beyond the workers' start-up "
        f"({pg_us:.1f} us with it); client CPU per item: {client_us:.0f} us; "
        f"share {share:.1%} (goal < 10 %)  {'OK' if ok else 'MISSED'}"
    )
    print(f"  sandbox busy during the 4-worker runs: {med(4, 'sandbox_busy'):.0%} of one core")
    figures.append(figure("PostgreSQL us per item", marginal, "us"))
    figures.append(figure("PostgreSQL us per item, start-up included", pg_us, "us"))
    figures.append(figure("client CPU us per item", client_us, "us"))
    figures.append(figure("PostgreSQL / client CPU", share * 100, "%", "< 10 %", ok))
    figures.append(figure("sandbox busy at 4 workers", med(4, "sandbox_busy") * 100, "%"))
    write(args.json, "bench_jobs", args.quick, figures)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
