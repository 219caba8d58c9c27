"""Streaming distribution records with AsyncPager: throughput, memory, decode cost and prefetch.

Setup:

- The sandbox runs in its own process (``python -m confirma_async.cli sandbox``) pinned to the first
  CPU; the client (this process and its children) is pinned to the others where the OS allows, so
  the server's JSON generation is not measured on the client's core. Generated data: 1,000,000
  distribution records spread evenly over 400 days (2,500 per one-day window).
- **Memory / records per second**: each size (10,000 / 100,000 / 1,000,000 records = 4 / 40 / 400
  days) streams in a fresh child process (``--child``) through ``client.invoices.distributions``
  with the defaults (one-day windows, prefetch 2); the child reports its peak RSS
  (``ru_maxrss``). Goal: peak RSS growth from 10k to 1M < 30 MB.
- **Decode throughput**: over all 400 one-day windows (1,000,000 records; 40 with ``--quick``),
  the pager (typed ``DistributionRecord`` objects, default prefetch 2) against a bare loop (one
  ``aiohttp`` session, the records of each window parsed and counted) that keeps the same number
  of windows fetched or in flight as the pager (``PREFETCH + 1``), once parsing with orjson (the
  fastest parser it could use) and once with ``json.loads``; the three in rotating order,
  ``--repeat`` times each, medians of records/s and of CPU µs per record (``time.process_time``).
  Goals: pager >= 0.85x the rate of the orjson loop; pager CPU per record <= 1.5x the
  ``json.loads`` loop's.
- **Prefetch**: a second sandbox with 100 records a day and ``*:latency=20ms``; 50 one-day pages,
  consumer work of 20 ms per page (``await asyncio.sleep(0.02)``, e.g. a database write). Measured
  in the same run: server alone (prefetch 0, no work), consumer alone (50 x 20 ms), prefetch off
  and prefetch on (2). Goals: on <= 1.15 x max(server, consumer); off ~ server + consumer.

Run: ``.venv/bin/python benchmarks/bench_stream.py`` (``--quick``: 100k instead of 1M, 1 repeat;
``--json PATH`` also writes the figures as JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

import aiohttp
import orjson
from _results import figure, write
from _sandbox_proc import start_sandbox

from confirma_async import ConfirmaClient

PER_DAY = 2_500
PAGE_WORK = 0.02
PREFETCH_PAGES = 50
PREFETCH = 2  # the pager's default: at most PREFETCH + 1 windows fetched or in flight


async def last_generated_day(base_url: str) -> date:
    admin = base_url.split("/api/")[0] + "/_sandbox"
    async with aiohttp.ClientSession() as session, session.get(f"{admin}/clock") as resp:
        now = datetime.fromisoformat((await resp.json())["now"])
    return now.date() - timedelta(days=1)


# --- child: one streaming run, reports records, seconds and peak RSS ------------------------------


async def child(base_url: str, token: str, start: date, end: date) -> None:
    async with ConfirmaClient(api_key=token, base_url=base_url) as client:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        count = 0
        started = time.perf_counter()
        pager = client.invoices.distributions(start, end)
        async for _record in pager:
            count += 1
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = {
        "records": count,
        "seconds": seconds,
        "rss_before_kb": rss_before,
        "peak_kb": peak,
        "max_buffered": pager.stats.max_buffered_windows,
    }
    print(json.dumps(report))


async def run_child(base_url: str, token: str, start: date, end: date) -> dict[str, float]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        base_url,
        token,
        start.isoformat(),
        end.isoformat(),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"child failed with {proc.returncode}")
    result: dict[str, float] = json.loads(out.decode().strip().splitlines()[-1])
    return result


# --- decode throughput: pager vs bare aiohttp + json.loads ----------------------------------------


def windows(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


async def bare_loop(
    base_url: str, token: str, start: date, end: date, parse: Callable[[bytes], Any]
) -> tuple[int, float, float]:
    """Count the records of every window, ``PREFETCH + 1`` windows fetched or in flight at once.

    The same pipelining as the pager's (it holds at most ``prefetch + 1`` windows fetched or in
    flight), so both sides wait on the server alike; ``parse`` is ``orjson.loads`` (the fastest
    parser this loop could use) or ``json.loads``. Returns records, seconds and CPU seconds.
    """
    url = base_url + "/invoice/distribution"
    headers = {"X-Api-Key": token, "Accept": "application/json"}
    count = 0
    async with aiohttp.ClientSession() as session:

        async def fetch(day: date) -> list[Any]:
            params = {"fromInvDate": day.isoformat(), "toInvDate": day.isoformat()}
            async with session.get(url, params=params, headers=headers) as resp:
                body = await resp.read()
            records: list[Any] = parse(body)["distributions"]
            return records

        days = iter(windows(start, end))
        pending = deque(asyncio.ensure_future(fetch(day)) for day in islice(days, PREFETCH + 1))
        cpu, started = time.process_time(), time.perf_counter()
        while pending:
            records = await pending.popleft()
            day = next(days, None)
            if day is not None:
                pending.append(asyncio.ensure_future(fetch(day)))
            for _record in records:
                count += 1
        return count, time.perf_counter() - started, time.process_time() - cpu


async def pager_loop(
    base_url: str, token: str, start: date, end: date, prefetch: int = PREFETCH
) -> tuple[int, float, float]:
    count = 0
    async with ConfirmaClient(api_key=token, base_url=base_url) as client:
        cpu, started = time.process_time(), time.perf_counter()
        async for _record in client.invoices.distributions(start, end, prefetch=prefetch):
            count += 1
        return count, time.perf_counter() - started, time.process_time() - cpu


async def decode_throughput(
    base_url: str, token: str, start: date, end: date, repeat: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """The pager against the pipelined bare loops, in rotating order; figures and report lines."""
    runners: dict[str, Callable[[], Awaitable[tuple[int, float, float]]]] = {
        "bare, orjson": lambda: bare_loop(base_url, token, start, end, orjson.loads),
        "bare, json.loads": lambda: bare_loop(base_url, token, start, end, json.loads),
        "AsyncPager": lambda: pager_loop(base_url, token, start, end),
    }
    names = list(runners)
    rates: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    expected = PER_DAY * ((end - start).days + 1)
    for rep in range(max(repeat, 1) * len(names)):
        name = names[rep % len(names)]  # bare, bare, pager, bare, ...: each in every slot
        n, seconds, cpu = await runners[name]()
        assert n == expected, (name, n, expected)
        rates[name].append(n / seconds)
        cpus[name].append(cpu / n * 1e6)
    rate = {name: statistics.median(v) for name, v in rates.items()}
    cpu = {name: statistics.median(v) for name, v in cpus.items()}
    rate_ratio = rate["AsyncPager"] / rate["bare, orjson"]
    cpu_ratio = cpu["AsyncPager"] / cpu["bare, json.loads"]
    lines = [f"{'loop':<18} {'records/s':>10} {'CPU us/record':>14}"]
    lines += [f"{name:<18} {rate[name]:>10,.0f} {cpu[name]:>14.2f}" for name in names]
    lines.append(f"AsyncPager / bare (orjson), rate: {rate_ratio:.2f}x (goal >= 0.85x)")
    lines.append(f"AsyncPager / bare (json.loads), CPU per record: {cpu_ratio:.2f}x (goal <= 1.5x)")
    figures = [
        figure(f"AsyncPager / pipelined bare loop (orjson), rate, {expected:,} records",
               rate_ratio, "x", ">= 0.85x", rate_ratio >= 0.85),
        figure("AsyncPager / bare loop (json.loads), CPU per record", cpu_ratio, "x",
               "<= 1.5x", cpu_ratio <= 1.5),
    ]  # fmt: skip
    for name in names:
        figures.append(figure(f"{name}: rate", rate[name], "records/s"))
        figures.append(figure(f"{name}: CPU per record", cpu[name], "us"))
    return figures, lines


# --- prefetch on vs off ---------------------------------------------------------------------


async def pages_with_work(
    base_url: str, token: str, start: date, end: date, prefetch: int, work: float
) -> float:
    async with ConfirmaClient(api_key=token, base_url=base_url) as client:
        started = time.perf_counter()
        pager = client.invoices.distributions(start, end, prefetch=prefetch)
        async for _page in pager.pages():
            if work:
                await asyncio.sleep(work)
        elapsed = time.perf_counter() - started
    assert pager.stats.max_buffered_windows <= prefetch + 1
    return elapsed


async def consumer_alone(pages: int, work: float) -> float:
    started = time.perf_counter()
    for _ in range(pages):
        await asyncio.sleep(work)
    return time.perf_counter() - started


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per decode/prefetch point")
    parser.add_argument("--quick", action="store_true", help="stop at 100k records, 1 repeat")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    figures: list[dict[str, Any]] = []
    report: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        report.extend(text.strip("\n").splitlines() or [""])

    repeat = 1 if args.quick else args.repeat
    sizes = (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000)
    total_days = 400

    proc, base_url, token = await start_sandbox(
        "--records", str(PER_DAY * total_days), "--days", str(total_days),
        "--max-records", "100000",
    )  # fmt: skip
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"sandbox pid {proc.pid} (CPU 0) at {base_url}; client on CPUs {cpus}")
    try:
        last = await last_generated_day(base_url)
        first = last - timedelta(days=total_days - 1)

        say("\n== streaming (fresh child process per size; one-day windows, prefetch 2)")
        say(f"{'records':>10} {'seconds':>8} {'records/s':>10} {'peak RSS MB':>12}")
        peaks: dict[int, float] = {}
        rates: dict[int, float] = {}
        for size in sizes:
            end = first + timedelta(days=size // PER_DAY - 1)
            r = await run_child(base_url, token, first, end)
            if r["records"] != size:
                raise RuntimeError(f"streamed {r['records']} records, expected {size}")
            peaks[size] = r["peak_kb"] / 1024
            rates[size] = size / r["seconds"]
            say(
                f"{size:>10,} {r['seconds']:>8.2f} {size / r['seconds']:>10,.0f} "
                f"{peaks[size]:>12.1f}"
            )
        growth = peaks[sizes[-1]] - peaks[sizes[0]]
        say(
            f"peak RSS growth {sizes[0]:,} -> {sizes[-1]:,}: {growth:.1f} MB (goal < 30 MB): "
            f"{'OK' if growth < 30 else 'MISSED'}"
        )
        figures.append(figure(f"records/s streaming {sizes[-1]:,}", rates[sizes[-1]], "records/s"))
        figures.append(figure(f"peak RSS at {sizes[-1]:,} records", peaks[sizes[-1]], "MB"))
        full = sizes[-1] >= 1_000_000  # the goal is about 1M records; --quick stops at 100k
        figures.append(
            figure(
                f"peak RSS growth {sizes[0]:,} -> {sizes[-1]:,}",
                growth,
                "MB",
                "< 30 MB" if full else "< 30 MB (at 1M only)",
                growth < 30 if full else None,
            )
        )

        days = total_days if full else 40
        say(f"\n== decode throughput over {days} one-day windows ({days * PER_DAY:,} records)")
        end = first + timedelta(days=days - 1)
        decode_figures, lines = await decode_throughput(base_url, token, first, end, repeat)
        say("\n".join(lines))
        figures = decode_figures + figures
    finally:
        proc.terminate()
        await proc.wait()

    proc, base_url, token = await start_sandbox(
        "--records", str(100 * PREFETCH_PAGES), "--days", str(PREFETCH_PAGES),
        "--fault", "*:latency=20ms",
    )  # fmt: skip
    try:
        last = await last_generated_day(base_url)
        first = last - timedelta(days=PREFETCH_PAGES - 1)
        say(
            f"\n== prefetch: {PREFETCH_PAGES} pages, 20 ms server latency, "
            f"{PAGE_WORK * 1000:.0f} ms consumer work per page"
        )
        runs: dict[str, list[float]] = {"server": [], "consumer": [], "off": [], "on": []}
        for _ in range(repeat):
            runs["server"].append(await pages_with_work(base_url, token, first, last, 0, 0.0))
            runs["consumer"].append(await consumer_alone(PREFETCH_PAGES, PAGE_WORK))
            runs["off"].append(await pages_with_work(base_url, token, first, last, 0, PAGE_WORK))
            runs["on"].append(await pages_with_work(base_url, token, first, last, 2, PAGE_WORK))
        t = {k: statistics.median(v) for k, v in runs.items()}
        for name, label in (
            ("server", "server alone (prefetch 0, no work)"),
            ("consumer", "consumer alone"),
            ("off", "prefetch off (0)"),
            ("on", "prefetch on (2)"),
        ):
            say(f"{label:<36} {t[name]:>6.3f} s")
        on_ratio = t["on"] / max(t["server"], t["consumer"])
        off_ratio = t["off"] / (t["server"] + t["consumer"])
        say(
            f"on / max(server, consumer) = {on_ratio:.2f} (goal <= 1.15): "
            f"{'OK' if on_ratio <= 1.15 else 'MISSED'}"
        )
        say(f"off / (server + consumer) = {off_ratio:.2f} (expected ~1.0)")
        say(f"speed-up of prefetch: {t['off'] / t['on']:.2f}x")
        figures.append(figure("prefetch on: 50 pages, 20 ms server + 20 ms consumer", t["on"], "s"))
        figures.append(figure("prefetch off: the same", t["off"], "s"))
        figures.append(
            figure(
                "prefetch on / max(server, consumer)", on_ratio, "x", "<= 1.15x", on_ratio <= 1.15
            )
        )
        figures.append(
            figure("prefetch off / (server + consumer)", off_ratio, "x", "~1.0 (expected)")
        )
    finally:
        proc.terminate()
        await proc.wait()
    write(args.json, "bench_stream", args.quick, figures, report=report)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _, _, url, key, lo, hi = sys.argv
        asyncio.run(child(url, key, date.fromisoformat(lo), date.fromisoformat(hi)))
        sys.exit(0)
    sys.exit(asyncio.run(main()))
