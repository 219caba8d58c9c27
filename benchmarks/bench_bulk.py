"""Bulk invoice upload: BatchSubmitter vs a bare loop, a hand-written peer and sequential create.

Setup (fair by construction):

- The sandbox runs in its own process (``python -m confirma_async.cli sandbox --port 0``) pinned to
  the first CPU; this process (the client) is pinned to the others, so on a 2-core machine each
  side has one core. Latency is switched between phases through the sandbox's admin API
  (``POST /_sandbox/faults {"spec": "*:latency=20ms"}``), so every phase hits the same server.
- Every request creates a new invoice (unique numbers, dates spread over a year so no day's list
  grows large). The sides start from what their code would start from, prepared before the
  clock: the **bare** loop from pre-serialised bodies (the baseline: no work but HTTP); the
  hand-written **peer** (a task per item under a semaphore, ``session.post(json=item)``,
  ``resp.json()``: no validation, no typed results, no exactly-once) from the dicts
  ``json.loads`` reads from JSON lines; the submitter from the dicts our JSON reader makes of
  the same lines (**dicts**: amounts stay ``Decimal``; validation, serialisation, sending and
  typed decoding are all on the clock; a dict's body is written with no model in between), and
  from ``InvoiceRequest`` objects built beforehand (**models**).
- Each (latency, concurrency) point gets a fresh sandbox, run with its garbage collector off (a
  full collection over tens of thousands of stored invoices pauses it for tens of ms at random,
  hitting whichever side is running). Every side opens its client once per point (a user's
  upload keeps its client too) and warms up; then many short runs (a tenth to a quarter of a
  second each: ``CHUNK`` invoices), the sides in rotating order, ``--pairs`` rounds (three
  times as many at concurrency 64, where the goals are and every side runs; elsewhere bare and
  dicts). Short interleaved runs share the machine's noise alike; with one long run per side, a
  noisy neighbour's burst decides the ratio. Reported: median rates, medians of the per-round
  ratios, and the client's CPU time per request (``time.process_time``).
- Client-bound point: every side at concurrency 64 against ``_canned_server.py``, which answers
  every request at once with the same 201 and does nothing else, so each side's own CPU decides
  its rate.

Goals (``goals()``): against the canned server, the submitter with dict input at >= 1.0x the
peer's rate, and with pre-built models at <= 1.25x the bare loop's CPU per request; against the
sandbox at concurrency 64, the submitter with dict input >= 0.95x the bare loop at 0 ms and
>= 0.90x at 20 ms, and >= 30x sequential ``client.invoices.create`` at 20 ms.

Run: ``.venv/bin/python benchmarks/bench_bulk.py`` (``--quick`` for a smoke run; ``--json PATH``
also writes the figures, and the report above them, as JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import statistics
import sys
import time
import timeit
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import aiohttp
from _floor import FLOOR_LABELS, FLOOR_SIDES, floor
from _results import figure, write
from _sandbox_proc import start_canned_server, start_sandbox

from confirma_async import ClientConfig, ConfirmaClient, InvoiceRequest
from confirma_async._core.json import dumps, loads
from confirma_async._core.responses import RawAnswer
from confirma_async.models import _convert
from confirma_async.models._aliases import WireAliases
from confirma_async.models._convert import from_wire, to_wire
from confirma_async.models._created_fast import decode_created
from confirma_async.models.invoices import InvoiceCreated
from confirma_async.resources._base import Resource
from confirma_async.resources.invoices import encode_invoice
from confirma_async.testing import sample_invoice

CONCURRENCIES = (1, 8, 32, 64)
POOL_LIMIT = 100
_numbers = itertools.count(300_000_001)


def make_raw(count: int) -> list[dict[str, Any]]:
    """``count`` new invoices as wire dicts (unique numbers, dates spread over a year)."""
    start = date(2025, 1, 1)
    result = []
    for _ in range(count):
        number = next(_numbers)
        day = start + timedelta(days=number % 365)
        result.append(sample_invoice(number, invoice_date=day, payment_control=False))
    return result


def make_invoices(count: int) -> list[InvoiceRequest]:
    return [from_wire(raw, InvoiceRequest) for raw in make_raw(count)]


def make_inputs(side: str, count: int) -> list[Any]:
    """What each side starts from, prepared before its clock starts.

    bare: pre-serialised bodies; peer: dicts as ``json.loads`` reads JSON lines (amounts become
    floats); dicts: dicts as ``confirma_async``'s reader does (amounts stay ``Decimal``, as
    ``confirma_async._core.json.loads`` reads them); models: ``InvoiceRequest`` objects built
    and validated.
    """
    if side in ("models", "floor-models"):
        return make_invoices(count)
    lines = [dumps(raw) for raw in make_raw(count)]
    if side == "bare":
        return [dumps(to_wire(from_wire(loads(line), InvoiceRequest))) for line in lines]
    if side == "peer":
        return [json.loads(line) for line in lines]
    return [loads(line) for line in lines]


async def set_latency(admin: str, latency_ms: int) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.delete(f"{admin}/faults") as resp:
            assert resp.status == 204, resp.status
        if latency_ms:
            spec = {"spec": f"*:latency={latency_ms}ms"}
            async with session.post(f"{admin}/faults", json=spec) as resp:
                assert resp.status == 201, await resp.text()


SIDES = ("bare", "peer", "dicts", "models")
LABELS = {
    "bare": "bare loop (pre-serialised bytes)",
    "peer": "hand-written peer (semaphore, json=dict)",
    "dicts": "submitter, dict input",
    "models": "submitter, pre-built models",
}


class Sides:
    """The clients of one point, each open for all of its runs (warm connections on all).

    bare: one ``aiohttp.ClientSession`` (same pool limit as the client) and ``concurrency``
    workers, each POSTing the next pre-serialised body and reading the response; nothing else.
    peer: what a user writes by hand: a task per item under an ``asyncio.Semaphore``,
    ``session.post(json=item)``, the status checked and the answer read with ``resp.json()``; no
    validation, no typed results, no exactly-once. ours: one ``ConfirmaClient`` and a
    ``client.batch(concurrency)`` per run, fed dicts or pre-built models.
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
        self.peer_session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=POOL_LIMIT), headers={"X-Api-Key": token}
        )
        config = ClientConfig(pool_limit=POOL_LIMIT)
        self.client = ConfirmaClient(api_key=token, base_url=base_url, config=config)

    async def close(self) -> None:
        await self.session.close()
        await self.peer_session.close()
        await self.client.aclose()

    def run(self, side: str, inputs: list[Any]) -> Awaitable[float]:
        if side == "bare":
            return self.bare(inputs)
        if side == "peer":
            return self.peer(inputs)
        if side in FLOOR_SIDES:
            dicts = side == "floor-dicts"
            return floor(self.session, self.url, self.headers, self.concurrency, inputs, dicts)
        return self.ours(inputs)

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

    async def peer(self, items: list[dict[str, Any]]) -> float:
        """The hand-written loop a user would write; return the seconds it took."""
        session, url = self.peer_session, self.url
        limit = asyncio.Semaphore(self.concurrency)

        async def send(item: dict[str, Any]) -> Any:
            async with limit, session.post(url, json=item) as resp:
                if resp.status != 201:
                    raise RuntimeError(f"peer got {resp.status}")
                return await resp.json()

        started = time.perf_counter()
        await asyncio.gather(*(send(item) for item in items))
        return time.perf_counter() - started

    async def ours(self, items: list[Any]) -> float:
        """Submit ``items`` through a fresh batch; return the seconds it took."""
        batch = self.client.batch(self.concurrency)
        started = time.perf_counter()
        summary = await batch.run(batch.submit_invoices(items))
        elapsed = time.perf_counter() - started
        if summary.created != len(items):
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
    """One (server, latency, concurrency) measurement: per side, rates and CPU per request."""

    def __init__(self, sides: tuple[str, ...]) -> None:
        self.sides = sides
        self.rate: dict[str, list[float]] = {side: [] for side in sides}
        self.cpu: dict[str, list[float]] = {side: [] for side in sides}

    def med_rate(self, side: str) -> float:
        return statistics.median(self.rate[side])

    def med_cpu(self, side: str) -> float:
        return statistics.median(self.cpu[side])

    def ratio(self, side: str, base: str) -> float:
        """Median of the per-round ratios of ``side``'s rate to ``base``'s (same round)."""
        pairs = zip(self.rate[side], self.rate[base], strict=True)
        return statistics.median(a / b for a, b in pairs)

    def cpu_ratio(self, side: str, base: str) -> float:
        """Median of the per-round ratios of ``side``'s CPU per request to ``base``'s."""
        pairs = zip(self.cpu[side], self.cpu[base], strict=True)
        return statistics.median(a / b for a, b in pairs)


async def measure_point(
    base_url: str, token: str, concurrency: int, chunk: int, rounds: int, sides: tuple[str, ...]
) -> Point:
    """``rounds`` rounds of ``chunk`` invoices per side, rotating which side goes first."""
    point = Point(sides)
    clients = Sides(base_url, token, concurrency)
    try:
        for side in sides:  # warm-up (discarded): connections, caches, the server's first requests
            await clients.run(side, make_inputs(side, chunk))
        for rep in range(rounds):
            inputs = {side: make_inputs(side, chunk) for side in sides}
            order = sides[rep % len(sides) :] + sides[: rep % len(sides)]
            if (rep // len(sides)) % 2:  # and the direction, so drift hits every side alike
                order = order[::-1]
            gc.collect()
            for side in order:
                cpu_started = time.process_time()
                point.rate[side].append(chunk / await clients.run(side, inputs[side]))
                point.cpu[side].append((time.process_time() - cpu_started) / chunk * 1e6)
    finally:
        await clients.close()
    return point


async def measure_canned(rounds: int) -> Point:
    """Every side against a server that answers at once with a canned 201: client CPU decides."""
    proc, base_url = await start_canned_server()
    try:
        sides = SIDES + FLOOR_SIDES
        return await measure_point(base_url, "canned", 64, CANNED_CHUNK, rounds, sides)
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


ANSWER = b'{"invoiceNumber":1,"status":"RECEIVED","receivedAt":"2026-01-05T09:00:00.000Z"}'


def components() -> list[tuple[str, float]]:
    """CPU µs of the per-invoice steps of the submitter, each timed alone (best of 5)."""
    raw = make_raw(1)[0]
    line = dumps(raw)
    data = loads(line)
    model = from_wire(data, InvoiceRequest)
    answer = RawAnswer(201, ANSWER)

    def general() -> object:
        _convert._FAST[InvoiceRequest] = None
        try:
            return from_wire(data, InvoiceRequest)
        finally:
            _convert._FAST.pop(InvoiceRequest)

    resource = Resource.__new__(Resource)
    resource._aliases, resource._warned = WireAliases(), set()
    steps: list[tuple[str, Callable[[], object]]] = [
        ("read a JSON line (exact Decimal parse)", lambda: loads(line)),
        (
            "dict -> validated InvoiceRequest, compiled",
            lambda: from_wire(data, InvoiceRequest),
        ),
        ("dict -> validated InvoiceRequest, general", general),
        ("InvoiceRequest -> JSON body (encode_invoice)", lambda: encode_invoice(model)),
        ("201 answer -> InvoiceCreated, fast path", lambda: decode_created(ANSWER, None)),
        (
            "201 answer -> InvoiceCreated, general path",
            lambda: resource._post_result(answer, InvoiceCreated, "/invoice"),
        ),
    ]
    out = []
    for name, step in steps:
        number = 2000
        best = min(timeit.repeat(step, number=number, repeat=5, timer=time.process_time))
        out.append((name, best / number * 1e6))
    return out


def floor_lines(canned: Point) -> list[str]:
    """The floor sides of the canned point (``_floor.py``), and what they bound."""
    lines = ["canned server, the least a typed client on ClientSession.request spends (_floor.py):"]
    for side in FLOOR_SIDES:
        rate, cpu = canned.med_rate(side), canned.med_cpu(side)
        lines.append(f"  {FLOOR_LABELS[side]:<45} {rate:>7.0f}/s {cpu:>5.0f} us")
    dicts = canned.ratio("floor-dicts", "peer")
    models = canned.cpu_ratio("floor-models", "bare")
    lines.append(
        f"  floor-dicts / peer, rate {dicts:.2f}x (the dict goal: >= 1.0x); "
        f"floor-models / bare, CPU {models:.2f}x (the models goal: <= 1.25x)"
    )
    return lines


def report_line(latency: str, concurrency: int, n: int, point: Point) -> str:
    cells = []
    for side in SIDES:
        if side in point.sides:
            cells.append(f"{point.med_rate(side):>7.0f} {point.med_cpu(side):>5.0f}")
        else:
            cells.append(f"{'-':>7} {'-':>5}")
    ratio = point.ratio("dicts", "bare")
    return f"{latency:>7} {concurrency:>5} {n:>5} " + " ".join(cells) + f" {ratio:>6.2f}x"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pairs", type=int, default=9, help="rounds per point (3x as many at concurrency 64)"
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds a point (7 at c=64)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.pairs
    goal_rounds = 8 if args.quick else 3 * rounds  # concurrency 64, where the goals are

    header = (
        f"{'latency':>7} {'conc':>5} {'n':>5} "
        + " ".join(f"{name + '/s':>7} {'cpu':>5}" for name in SIDES)
        + f" {'dicts/bare':>7}"
    )
    print(
        "Each point: a fresh server process, every client opened once, a warm-up, then n-invoice\n"
        f"runs, the sides in rotating order, x{rounds} rounds (x{goal_rounds} at concurrency 64,\n"
        "where every side runs; elsewhere bare and dicts only); medians. The sandbox runs with\n"
        "its garbage collector off (benchmarks/README.md). /s = invoices per second, cpu = client\n"
        "CPU per request (us). Sides: "
        + "; ".join(f"{side} = {label}" for side, label in LABELS.items())
        + ".\n"
    )
    report = [header]
    print(header)
    points: dict[tuple[int, int], Point] = {}
    seq_rate = 0.0
    for latency_ms in (0, 20):
        for concurrency in CONCURRENCIES:
            n = CHUNK[(latency_ms, concurrency)]
            proc, base_url, token = await start_sandbox(collect_garbage=False)
            try:
                await set_latency(base_url.split("/api/")[0] + "/_sandbox", latency_ms)
                full = concurrency == 64
                sides = SIDES if full else ("bare", "dicts")
                point = await measure_point(
                    base_url, token, concurrency, n, goal_rounds if full else rounds, sides
                )
                if latency_ms == 20 and concurrency == 1:
                    sample = make_invoices(20 if args.quick else 50)
                    seq_rate = await sequential(base_url, token, sample)
            finally:
                proc.terminate()
                await proc.wait()
            points[(latency_ms, concurrency)] = point
            line = report_line(f"{latency_ms}ms", concurrency, n, point)
            report.append(line)
            print(line, flush=True)
    canned = await measure_canned(goal_rounds)
    lines = [report_line("canned", 64, CANNED_CHUNK, canned), *floor_lines(canned)]
    report += lines
    print("\n".join(lines))
    ratio_seq = points[(20, 64)].med_rate("dicts") / seq_rate
    tail = [
        f"sequential client.invoices.create at 20 ms: {seq_rate:.1f}/s; submitter (dicts) at "
        f"concurrency 64: {ratio_seq:.1f}x that",
        "submitter (dicts) throughput at 20 ms vs its concurrency 1: "
        + ", ".join(
            f"c={c}: {points[(20, c)].med_rate('dicts') / points[(20, 1)].med_rate('dicts'):.1f}x"
            for c in CONCURRENCIES
        ),
    ]
    report += tail
    print("\n".join(tail))
    report.append("")
    report.append("Per-invoice steps of the submitter, each timed alone (CPU us, best of 5):")
    for name, micros in components():
        report.append(f"  {name:<50} {micros:>6.1f}")
    print("\n".join(report[-7:]))
    figures = goals(points, canned, ratio_seq)
    print()
    for fig in figures:
        if fig["goal"]:
            verdict = "OK" if fig["ok"] else "MISSED"
            value = f"{fig['value']:.2f}{fig['unit']}"
            print(f"goal: {fig['name']} = {value} ({fig['goal']}): {verdict}")
    write(args.json, "bench_bulk", args.quick, figures, report=report)
    return 0


def goals(points: dict[tuple[int, int], Point], canned: Point, ratio_seq: float) -> list[Any]:
    """The figures of the summary table, goals first."""
    peer_ratio = canned.ratio("dicts", "peer")
    cpu_ratio = canned.cpu_ratio("models", "bare")
    sandbox = points[(0, 64)]
    sandbox_ratio = sandbox.ratio("dicts", "bare")
    late = points[(20, 64)].ratio("dicts", "bare")
    figures = [
        figure("canned server, c=64: submitter (dicts) / hand-written peer, rate", peer_ratio,
               "x", ">= 1.0x", peer_ratio >= 1.0),
        figure("canned server, c=64: CPU per request, submitter (models) / bare", cpu_ratio,
               "x", "<= 1.25x", cpu_ratio <= 1.25),
        figure("sandbox, c=64, 0 ms: submitter (dicts) / bare loop, rate", sandbox_ratio, "x",
               ">= 0.95x", sandbox_ratio >= 0.95),
        figure("sandbox, c=64, 20 ms: submitter (dicts) / bare loop, rate", late, "x",
               ">= 0.90x", late >= 0.9),
        figure("submitter (dicts) c=64 / sequential create, 20 ms", ratio_seq, "x", ">= 30x",
               ratio_seq >= 30),
    ]  # fmt: skip
    for side in SIDES:
        figures.append(
            figure(f"canned server, c=64: {LABELS[side]}", canned.med_rate(side), "invoices/s")
        )
        figures.append(
            figure(f"canned server, c=64: CPU per request, {side}", canned.med_cpu(side), "us")
        )
    figures += [
        figure("canned server, c=64: floor (dicts) / hand-written peer, rate",
               canned.ratio("floor-dicts", "peer"), "x"),
        figure("canned server, c=64: CPU per request, floor (models) / bare",
               canned.cpu_ratio("floor-models", "bare"), "x"),
    ]  # fmt: skip
    for side in FLOOR_SIDES:
        figures.append(
            figure(f"canned server, c=64: CPU per request, {side}", canned.med_cpu(side), "us")
        )
    for side in SIDES:
        figures.append(
            figure(f"sandbox, c=64, 0 ms: {LABELS[side]}", sandbox.med_rate(side), "invoices/s")
        )
    return figures


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
