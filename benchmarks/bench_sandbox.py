"""Throughput of the CFIS sandbox itself, so other benchmarks know it is not their bottleneck.

The sandbox runs in its own process (``confirma sandbox``, pinned to one CPU where the OS allows)
and a bare aiohttp client in this process drives it at a fixed concurrency:

- ``GET /validate``                 the smallest authenticated round trip
- ``POST /invoice``                 unique invoices, validated and stored
- ``GET /invoice/distribution``     one-day windows of generated records (default 1,000 a window)
- ``GET /payments``                 one-day windows of generated payments

No goal of its own: its figures are the ceiling the other benchmarks run against.

Run: ``python benchmarks/bench_sandbox.py [--records 1000000] [--concurrency 64]`` (``--quick``:
100,000 records, 1,000 invoices and validations; ``--json PATH`` also writes the figures as JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import aiohttp
from _results import figure, write
from _sandbox_proc import start_sandbox as start_proc

from confirma_async._core.json import dumps
from confirma_async.testing import sample_invoice


async def start_sandbox(records: int, days: int) -> tuple[asyncio.subprocess.Process, str, str]:
    return await start_proc(
        "--records",
        str(records),
        "--payments",
        str(records),
        "--days",
        str(days),
        "--max-window-days",
        str(days),
        "--max-records",
        "100000",
    )


async def drive(
    concurrency: int, count: int, one: Callable[[int], Awaitable[int]]
) -> tuple[float, int]:
    """Run ``one(i)`` for i < count with ``concurrency`` workers; return (seconds, items)."""
    next_index = iter(range(count))
    items = 0

    async def worker() -> None:
        nonlocal items
        for i in next_index:
            got = await one(i)  # not `items += await ...`: that reads `items` before awaiting
            items += got

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, items


async def run(args: argparse.Namespace) -> list[dict[str, object]]:
    days = max(1, args.records // args.window)
    proc, base, token = await start_sandbox(args.records, days)
    headers = {"X-Api-Key": token, "Content-Type": "application/json"}
    last_day = date.today() - timedelta(days=1)
    first_day = last_day - timedelta(days=days - 1)
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    figures: list[dict[str, object]] = []
    try:
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

            async def validate(i: int) -> int:
                async with session.get(base + "/validate") as resp:
                    await resp.read()
                    assert resp.status == 200
                return 1

            bodies = [dumps(sample_invoice(10_000 + i)) for i in range(args.invoices)]

            async def create(i: int) -> int:
                async with session.post(base + "/invoice", data=bodies[i]) as resp:
                    await resp.read()
                    assert resp.status == 201, resp.status
                return 1

            async def window(path: str, keys: tuple[str, str], i: int) -> int:
                day = (first_day + timedelta(days=i)).isoformat()
                params = {keys[0]: day, keys[1]: day}
                async with session.get(base + path, params=params) as resp:
                    body = await resp.read()
                    assert resp.status == 200, resp.status
                return body.count(b'"invoiceNumber"')

            await drive(args.concurrency, 200, validate)  # warm up connections
            print(f"sandbox throughput, concurrency {args.concurrency}, bare aiohttp client")
            seconds, n = await drive(args.concurrency, args.requests, validate)
            print(f"  GET /validate           {n / seconds:9,.0f} requests/s")
            figures.append(figure("GET /validate", n / seconds, "requests/s"))
            seconds, n = await drive(args.concurrency, args.invoices, create)
            print(f"  POST /invoice           {n / seconds:9,.0f} requests/s  ({n:,} invoices)")
            figures.append(figure("POST /invoice", n / seconds, "requests/s"))
            for label, path, keys in (
                (
                    "GET /invoice/distribution",
                    "/invoice/distribution",
                    ("fromInvDate", "toInvDate"),
                ),
                ("GET /payments", "/payments", ("fromDate", "toDate")),
            ):
                seconds, n = await drive(
                    args.concurrency, days, lambda i, p=path, k=keys: window(p, k, i)
                )
                print(
                    f"  {label:<25} {days / seconds:7,.0f} requests/s  "
                    f"{n / seconds:11,.0f} records/s  ({n:,} records, {args.window:,} a window)"
                )
                figures.append(figure(f"{label} (one-day windows)", n / seconds, "records/s"))
    finally:
        proc.terminate()
        await proc.wait()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="generated records")
    parser.add_argument("--window", type=int, default=1_000, help="records per one-day window")
    parser.add_argument("--invoices", type=int, default=5_000, help="invoices to POST")
    parser.add_argument("--requests", type=int, default=5_000, help="GET /validate requests")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--quick", action="store_true", help="100,000 records, 1,000 invoices and validations"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    if args.quick:
        args.records, args.invoices, args.requests = 100_000, 1_000, 1_000
    figures = asyncio.run(run(args))
    write(args.json, "bench_sandbox", args.quick, figures)


if __name__ == "__main__":
    main()
