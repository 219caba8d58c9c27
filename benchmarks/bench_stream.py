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
- **Decode throughput**: over the same 40 one-day windows, a bare loop (one ``aiohttp`` session,
  sequential GETs, ``json.loads``, count the records) against the pager (typed
  ``DistributionRecord`` objects, default prefetch), alternately ``--repeat`` times, medians.
  Goal: pager >= 0.5x the bare loop.
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
from datetime import date, datetime, timedelta

import aiohttp
from _results import figure, write
from _sandbox_proc import start_sandbox

from confirma_async import ConfirmaClient

PER_DAY = 2_500
PAGE_WORK = 0.02
PREFETCH_PAGES = 50


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


async def bare_loop(base_url: str, token: str, start: date, end: date) -> tuple[int, float]:
    url = base_url + "/invoice/distribution"
    headers = {"X-Api-Key": token, "Accept": "application/json"}
    count = 0
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        for day in windows(start, end):
            params = {"fromInvDate": day.isoformat(), "toInvDate": day.isoformat()}
            async with session.get(url, params=params, headers=headers) as resp:
                body = await resp.read()
            count += len(json.loads(body)["distributions"])
        return count, time.perf_counter() - started


async def pager_loop(
    base_url: str, token: str, start: date, end: date, prefetch: int = 2
) -> tuple[int, float]:
    count = 0
    async with ConfirmaClient(api_key=token, base_url=base_url) as client:
        started = time.perf_counter()
        async for _record in client.invoices.distributions(start, end, prefetch=prefetch):
            count += 1
        return count, time.perf_counter() - started


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
    figures: list[dict[str, object]] = []
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

        print("\n== streaming (fresh child process per size; one-day windows, prefetch 2)")
        print(f"{'records':>10} {'seconds':>8} {'records/s':>10} {'peak RSS MB':>12}")
        peaks: dict[int, float] = {}
        rates: dict[int, float] = {}
        for size in sizes:
            end = first + timedelta(days=size // PER_DAY - 1)
            r = await run_child(base_url, token, first, end)
            if r["records"] != size:
                raise RuntimeError(f"streamed {r['records']} records, expected {size}")
            peaks[size] = r["peak_kb"] / 1024
            rates[size] = size / r["seconds"]
            print(
                f"{size:>10,} {r['seconds']:>8.2f} {size / r['seconds']:>10,.0f} "
                f"{peaks[size]:>12.1f}"
            )
        growth = peaks[sizes[-1]] - peaks[sizes[0]]
        print(
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

        print("\n== decode throughput over the same 40 one-day windows (100,000 records)")
        end = first + timedelta(days=39)
        bare_rates, pager_rates = [], []
        for _ in range(repeat):
            n, s = await bare_loop(base_url, token, first, end)
            bare_rates.append(n / s)
            m, t = await pager_loop(base_url, token, first, end)
            assert m == n == 100_000, (m, n)
            pager_rates.append(m / t)
        bare, ours = statistics.median(bare_rates), statistics.median(pager_rates)
        ratio = ours / bare
        print(f"bare aiohttp + json.loads: {bare:>10,.0f} records/s")
        print(f"AsyncPager (typed models): {ours:>10,.0f} records/s")
        print(f"ratio {ratio:.2f}x (goal >= 0.5x): {'OK' if ratio >= 0.5 else 'MISSED'}")
        figures.append(figure("bare aiohttp + json.loads", bare, "records/s"))
        figures.append(figure("AsyncPager (typed records)", ours, "records/s"))
        figures.append(figure("AsyncPager / bare loop", ratio, "x", ">= 0.5x", ratio >= 0.5))
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
        print(
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
            print(f"{label:<36} {t[name]:>6.3f} s")
        on_ratio = t["on"] / max(t["server"], t["consumer"])
        off_ratio = t["off"] / (t["server"] + t["consumer"])
        print(
            f"on / max(server, consumer) = {on_ratio:.2f} (goal <= 1.15): "
            f"{'OK' if on_ratio <= 1.15 else 'MISSED'}"
        )
        print(f"off / (server + consumer) = {off_ratio:.2f} (expected ~1.0)")
        print(f"speed-up of prefetch: {t['off'] / t['on']:.2f}x")
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
    write(args.json, "bench_stream", args.quick, figures)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _, _, url, key, lo, hi = sys.argv
        asyncio.run(child(url, key, date.fromisoformat(lo), date.fromisoformat(hi)))
        sys.exit(0)
    sys.exit(asyncio.run(main()))
