"""Bulk invoice upload: BatchSubmitter vs a bare aiohttp loop and vs sequential submission.

Setup (fair by construction):

- The sandbox runs in its own process (``python -m confirma_async.cli sandbox --port 0``) pinned to
  the first CPU; this process (the client) is pinned to the others, so on a 2-core machine each
  side has one core. Latency is switched between phases through the sandbox's admin API
  (``POST /_sandbox/faults {"spec": "*:latency=20ms"}``), so every phase hits the same server.
- Every request creates a new invoice (unique numbers, dates spread over a year so no day's list
  grows large). Both sides send byte-identical bodies: the bare loop gets them pre-serialised,
  the submitter gets the same invoices as ``InvoiceRequest`` objects built before the clock
  starts (serialising them is part of the client's cost).
- Bare loop: ``concurrency`` workers sharing one ``aiohttp.ClientSession`` (same pool limit as the
  client), each POSTing the next body and reading the response; nothing else.
- Each (latency, concurrency) point gets a fresh sandbox, run with its garbage collector off (a
  full collection over tens of thousands of stored invoices pauses it for tens of ms at random,
  hitting whichever side is running). Both sides open their client once per point (a user's
  upload keeps its client too) and warm up; then many short runs (a tenth to a quarter of a
  second each: ``CHUNK`` invoices), bare and submitter alternately, ``--pairs`` pairs (three
  times as many at concurrency 64, where the goals are), alternating which side goes first. Short
  interleaved runs share the machine's noise alike; with one long run per side, a noisy
  neighbour's burst decides the ratio. Reported: median rates, the median of the per-pair
  ratios, and the client's CPU time per request (``time.process_time``).
- Client-bound point: both sides at concurrency 64 against ``_canned_server.py``, which answers
  every request at once with the same 201 and does nothing else, so each side's own CPU decides
  its rate. No goal: it shows what the client costs per request beyond a bare loop.

Run: ``.venv/bin/python benchmarks/bench_bulk.py`` (``--quick`` for a smoke run; ``--json PATH``
also writes the figures as JSON).
Goals: submitter >= 0.90x the bare loop at concurrency 64; >= 30x sequential at 20 ms latency.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import statistics
import sys
import time
from collections.abc import Awaitable
from datetime import date, timedelta

import aiohttp
from _results import figure, write
from _sandbox_proc import start_canned_server, start_sandbox

from confirma_async import ClientConfig, ConfirmaClient, InvoiceRequest
from confirma_async._core.json import dumps
from confirma_async.models._convert import from_wire, to_wire
from confirma_async.testing import sample_invoice

CONCURRENCIES = (1, 8, 32, 64)
POOL_LIMIT = 100
_numbers = itertools.count(300_000_001)


def make_invoices(count: int) -> list[InvoiceRequest]:
    start = date(2025, 1, 1)
    result = []
    for _ in range(count):
        number = next(_numbers)
        day = start + timedelta(days=number % 365)
        raw = sample_invoice(number, invoice_date=day, payment_control=False)
        result.append(from_wire(raw, InvoiceRequest))
    return result


async def set_latency(admin: str, latency_ms: int) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.delete(f"{admin}/faults") as resp:
            assert resp.status == 204, resp.status
        if latency_ms:
            spec = {"spec": f"*:latency={latency_ms}ms"}
            async with session.post(f"{admin}/faults", json=spec) as resp:
                assert resp.status == 201, await resp.text()


class Sides:
    """The two clients of one point, each open for all of its runs (warm connections on both).

    Bare side: one ``aiohttp.ClientSession`` (same pool limit as the client) and ``concurrency``
    workers, each POSTing the next pre-serialised body and reading the response; nothing else.
    Our side: one ``ConfirmaClient`` and a ``client.batch(concurrency)`` per run.
    """

    def __init__(self, base_url: str, token: str, concurrency: int) -> None:
        self.url = base_url + "/invoice"
        self.headers = {
            "X-Api-Key": token,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self.concurrency = concurrency
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=POOL_LIMIT))
        config = ClientConfig(pool_limit=POOL_LIMIT)
        self.client = ConfirmaClient(api_key=token, base_url=base_url, config=config)

    async def close(self) -> None:
        await self.session.close()
        await self.client.aclose()

    async def bare(self, bodies: list[bytes]) -> float:
        """Send ``bodies``; return the seconds it took."""
        pending = iter(bodies)
        session, url, headers = self.session, self.url, self.headers

        async def worker() -> None:
            for body in pending:
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status != 201:
                        raise RuntimeError(f"bare loop got {resp.status}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        return time.perf_counter() - started

    async def ours(self, invoices: list[InvoiceRequest]) -> float:
        """Submit ``invoices`` through a fresh batch; return the seconds it took."""
        batch = self.client.batch(self.concurrency)
        started = time.perf_counter()
        summary = await batch.run(batch.submit_invoices(invoices))
        elapsed = time.perf_counter() - started
        if summary.created != len(invoices):
            raise RuntimeError(f"submitter: {summary}")
        if batch.stats.max_in_flight > self.concurrency:  # never more than the bare loop
            raise RuntimeError(f"submitter exceeded its concurrency: {batch.stats}")
        return elapsed


async def sequential(base_url: str, token: str, invoices: list[InvoiceRequest]) -> float:
    async with ConfirmaClient(api_key=token, base_url=base_url) as client:
        started = time.perf_counter()
        for invoice in invoices:
            await client.invoices.create(invoice)
        return len(invoices) / (time.perf_counter() - started)


class Point:
    """One (latency, concurrency) measurement: paired runs, medians, client CPU per request."""

    def __init__(self) -> None:
        self.bare: list[float] = []
        self.ours: list[float] = []
        self.ratios: list[float] = []
        self.bare_cpu: list[float] = []
        self.our_cpu: list[float] = []

    @staticmethod
    def med(values: list[float]) -> float:
        return statistics.median(values)


async def measure_point(
    base_url: str, token: str, concurrency: int, chunk: int, pairs: int
) -> Point:
    """``pairs`` paired runs of ``chunk`` invoices each, alternating which side goes first."""
    point = Point()
    sides = Sides(base_url, token, concurrency)
    try:
        # Warm-up (discarded): connections, caches, the sandbox's first requests.
        await sides.bare([dumps(to_wire(i)) for i in make_invoices(chunk)])
        await sides.ours(make_invoices(chunk))
        for rep in range(pairs):
            bodies = [dumps(to_wire(invoice)) for invoice in make_invoices(chunk)]
            invoices = make_invoices(chunk)
            gc.collect()
            runs: list[tuple[str, Awaitable[float]]] = [
                ("bare", sides.bare(bodies)),
                ("ours", sides.ours(invoices)),
            ]
            if rep % 2:  # alternate who goes first, so drift hits both alike
                runs.reverse()
            rates = {}
            for name, run in runs:
                cpu_started = time.process_time()
                rates[name] = chunk / await run
                cpu = (time.process_time() - cpu_started) / chunk * 1e6
                (point.bare_cpu if name == "bare" else point.our_cpu).append(cpu)
            point.bare.append(rates["bare"])
            point.ours.append(rates["ours"])
            point.ratios.append(rates["ours"] / rates["bare"])
    finally:
        await sides.close()
    return point


async def measure_canned(pairs: int) -> Point:
    """Both sides against a server that answers at once with a canned 201: client CPU decides."""
    proc, base_url = await start_canned_server()
    try:
        return await measure_point(base_url, "canned", 64, CANNED_CHUNK, pairs)
    finally:
        proc.terminate()
        await proc.wait()


# Invoices per run: a tenth to a quarter of a second of work at the expected rate, so that many
# short runs, alternating between the sides, share the machine's noise alike.
CHUNK = {
    (0, 1): 300,
    (0, 8): 600,
    (0, 32): 600,
    (0, 64): 600,
    (20, 1): 10,
    (20, 8): 80,
    (20, 32): 300,
    (20, 64): 600,
}
CANNED_CHUNK = 1_000


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pairs", type=int, default=9, help="paired runs per point (3x as many at concurrency 64)"
    )
    parser.add_argument("--quick", action="store_true", help="3 pairs a point (7 at c=64)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    pairs = 3 if args.quick else args.pairs
    goal_pairs = 7 if args.quick else 3 * pairs  # concurrency 64, where the goals are

    print(
        "Each point: a fresh sandbox process, both clients opened once, a warm-up, then n-invoice\n"
        f"runs, bare loop and submitter alternately, x{pairs} pairs (x{goal_pairs} at concurrency\n"
        "64); medians. The sandbox runs with its garbage collector off (benchmarks/README.md).\n"
        "cpu = client CPU per request (us)."
    )
    print(
        f"{'latency':>8} {'conc':>5} {'n':>6} {'bare/s':>8} {'batch/s':>8} {'ratio':>6} "
        f"{'cpu bare':>9} {'cpu batch':>9}"
    )
    results: dict[tuple[int, int], float] = {}
    points: dict[tuple[int, int], Point] = {}
    seq_rate = 0.0
    for latency_ms in (0, 20):
        for concurrency in CONCURRENCIES:
            n = CHUNK[(latency_ms, concurrency)]
            proc, base_url, token = await start_sandbox(collect_garbage=False)
            try:
                await set_latency(base_url.split("/api/")[0] + "/_sandbox", latency_ms)
                runs = goal_pairs if concurrency == 64 else pairs
                point = await measure_point(base_url, token, concurrency, n, runs)
                if latency_ms == 20 and concurrency == 1:
                    sample = make_invoices(20 if args.quick else 50)
                    seq_rate = await sequential(base_url, token, sample)
            finally:
                proc.terminate()
                await proc.wait()
            results[(latency_ms, concurrency)] = point.med(point.ours)
            points[(latency_ms, concurrency)] = point
            print(
                f"{latency_ms:>6}ms {concurrency:>5} {n:>6} {point.med(point.bare):>8.0f} "
                f"{point.med(point.ours):>8.0f} {point.med(point.ratios):>5.2f}x "
                f"{point.med(point.bare_cpu):>9.0f} {point.med(point.our_cpu):>9.0f}",
                flush=True,
            )
    canned = await measure_canned(goal_pairs)
    print(
        f"client-bound (canned-answer server, c=64): bare {canned.med(canned.bare):.0f}/s "
        f"({canned.med(canned.bare_cpu):.0f} us CPU per request), submitter "
        f"{canned.med(canned.ours):.0f}/s ({canned.med(canned.our_cpu):.0f} us), "
        f"{canned.med(canned.ratios):.2f}x"
    )
    ratio_64 = results[(20, 64)] / seq_rate
    print(f"sequential client.invoices.create at 20 ms: {seq_rate:.1f}/s")
    print(f"submitter at concurrency 64, 20 ms: {ratio_64:.1f}x sequential (goal >= 30x)")
    scaling = ", ".join(f"c={c}: {results[(20, c)] / results[(20, 1)]:.1f}x" for c in CONCURRENCIES)
    print(f"submitter throughput at 20 ms vs its concurrency 1: {scaling}")
    figures = []
    for latency_ms in (0, 20):
        point = points[(latency_ms, 64)]
        ratio = point.med(point.ratios)
        label = f"c=64, {latency_ms} ms"
        figures.append(figure(f"bare loop, {label}", point.med(point.bare), "invoices/s"))
        figures.append(figure(f"submitter, {label}", point.med(point.ours), "invoices/s"))
        figures.append(
            figure(f"submitter / bare loop, {label}", ratio, "x", ">= 0.90x", ratio >= 0.9)
        )
        figures.append(
            figure(f"client CPU per invoice, bare, {label}", point.med(point.bare_cpu), "us")
        )
        figures.append(
            figure(f"client CPU per invoice, submitter, {label}", point.med(point.our_cpu), "us")
        )
    figures.append(
        figure("submitter / bare loop, c=64, canned-answer server", canned.med(canned.ratios), "x")
    )
    for side, cpu in (("bare", canned.bare_cpu), ("submitter", canned.our_cpu)):
        figures.append(
            figure(f"client CPU per invoice, {side}, c=64, canned server", canned.med(cpu), "us")
        )
    figures.append(figure("sequential client.invoices.create, 20 ms", seq_rate, "invoices/s"))
    figures.append(
        figure("submitter c=64 / sequential, 20 ms", ratio_64, "x", ">= 30x", ratio_64 >= 30)
    )
    write(args.json, "bench_bulk", args.quick, figures)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
