"""One partner, many creditors: poll latency under a bulk upload, the uploader's share, memory.

Setup: ``confirma sandbox`` in its own process with every request taking 30-50 ms (``--fault
'*:latency=30ms+20ms'``, uniform: a fast real API, whose latency varies; the server's work is then
mostly a wait, so the partner's shared limit, not the sandbox's CPU, is the capacity), one
:class:`~confirma_async.ConfirmaPartner` with ``max_in_flight=16`` (about 400 requests/s) and 200
clients onboarded through ``POST /client``. 199 pollers each read their distribution records
every 2 seconds (starts spread over the interval); one uploader sends invoices with ``batch(256)``.

1. **Unloaded**: the pollers alone for three intervals, before step 2 and again after step 3
   (drift hits both sides): their p99 poll latency.
2. **Uploader alone**: N invoices (models built beforehand): its rate ``U0``, the whole capacity.
3. **Loaded**: N more invoices while the pollers poll: their p99 poll latency, the polls' rate
   ``P`` and the uploader's rate ``U1``.

Goals: loaded p99 poll latency under 2x the unloaded one; the uploader gets at least 80 % of the
capacity the polls leave, ``U1 / (U0 - P)`` (a poll costs about what an upload costs here: both
are a 30-50 ms wait at the server). Memory per idle client (``tracemalloc``, 1,000 clients of a
fresh partner with their tokens registered, then the same after one request each): under 20 KB.

With a constant 40 ms instead (no jitter), the slots free in waves: all 16 uploads sent together
come back together, and a poll that arrives between two waves waits for the next one. Measured so
on the 2-core VM: p99 1.81-1.85x unloaded (2.20x once under a load average of 5), a mean wait for
a slot of 13 ms against 5 ms with jitter.

Run: ``.venv/bin/python benchmarks/bench_partner.py`` (``--quick``: 2,000 invoices instead of
10,000, 300 clients for the memory figure; ``--json PATH`` also writes the figures as JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
import tracemalloc
from datetime import date
from typing import Any

from _results import figure, write
from _sandbox_proc import start_sandbox

from confirma_async import ClientConfig, ConfirmaPartner, InvoiceRequest, NewClientRequest
from confirma_async.models._convert import from_wire
from confirma_async.testing import sample_client, sample_invoice

POLLERS = 199
MAX_IN_FLIGHT = 16
INTERVAL = 2.0
LATENCY_MS = 30
JITTER_MS = 20
CONFIG = ClientConfig(allow_insecure_http=True)
DAY = date(2026, 1, 5)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


async def onboard(partner: ConfirmaPartner, n: int, prefix: str) -> list[tuple[str, str]]:
    requests = [from_wire(sample_client(f"{prefix} {i} Oy"), NewClientRequest) for i in range(n)]
    created = await asyncio.gather(*(partner.onboard(r) for r in requests))
    return [(c.client_id or "", c.access_token or "") for c in created]


async def poll_for(partner: ConfirmaPartner, ids: list[str], stop: asyncio.Event) -> list[float]:
    """Every poller reads its records once per INTERVAL until ``stop``; the latencies."""
    latencies: list[float] = []

    async def poller(i: int, client_id: str) -> None:
        client = partner.client(client_id)
        await asyncio.sleep(INTERVAL * i / len(ids))  # spread the starts over the interval
        loop = asyncio.get_running_loop()
        due = loop.time()
        while not stop.is_set():
            started = time.perf_counter()
            await client.invoices.distribution_window(DAY, DAY)
            latencies.append(time.perf_counter() - started)
            due += INTERVAL
            await asyncio.sleep(max(0.0, due - loop.time()))

    await asyncio.gather(*(poller(i, client_id) for i, client_id in enumerate(ids)))
    return latencies


async def upload(partner: ConfirmaPartner, client_id: str, items: list[InvoiceRequest]) -> float:
    """Upload ``items`` (built beforehand: only the client's own work is timed); the rate."""
    started = time.perf_counter()
    ok = 0
    async for result in partner.client(client_id).batch(256).submit_invoices(items):
        ok += result.ok
    if ok != len(items):
        raise RuntimeError(f"{len(items) - ok} of {len(items)} uploads failed")
    return len(items) / (time.perf_counter() - started)


async def unloaded(partner: ConfirmaPartner, pollers: list[str]) -> list[float]:
    """The pollers alone for three intervals: their latencies."""
    stop = asyncio.Event()
    polling = asyncio.create_task(poll_for(partner, pollers, stop))
    await asyncio.sleep(3 * INTERVAL)
    stop.set()
    return await polling


async def fairness(base_url: str, partner_token: str, invoices: int) -> dict[str, float]:
    """Pollers alone, the uploader alone, both, pollers alone again (drift hits both sides)."""
    first = [from_wire(sample_invoice(k), InvoiceRequest) for k in range(1, invoices + 1)]
    again = [
        from_wire(sample_invoice(k), InvoiceRequest) for k in range(invoices + 1, 2 * invoices + 1)
    ]
    async with ConfirmaPartner(
        partner_token=partner_token, base_url=base_url, config=CONFIG, max_in_flight=MAX_IN_FLIGHT
    ) as partner:
        clients = [client_id for client_id, _ in await onboard(partner, POLLERS + 1, "Bench")]
        uploader, pollers = clients[0], clients[1:]
        gc.collect()
        gc.freeze()  # the prepared invoices and the clients: not walked by every collection
        quiet = await unloaded(partner, pollers)
        alone = await upload(partner, uploader, first)
        stop = asyncio.Event()
        before = partner.metrics()
        polling = asyncio.create_task(poll_for(partner, pollers, stop))
        started = time.perf_counter()
        shared = await upload(partner, uploader, again)
        seconds = time.perf_counter() - started
        stop.set()
        loaded = await polling
        after = partner.metrics()
        waited = sum(after[c].wait_seconds - before[c].wait_seconds for c in pollers)
        quiet += await unloaded(partner, pollers)
        gc.unfreeze()
    return {
        "p99_unloaded": p99(quiet),
        "p99_loaded": p99(loaded),
        "polls_per_s": len(loaded) / seconds,
        "alone": alone,
        "shared": shared,
        "slot_wait": waited / len(loaded),
    }


async def memory(base_url: str, partner_token: str, n: int) -> tuple[float, float]:
    """Bytes per client of a fresh partner: registered but idle, then after one request."""
    async with ConfirmaPartner(
        partner_token=partner_token, base_url=base_url, config=CONFIG
    ) as onboarding:
        tokens = await onboard(onboarding, n, "Memory")
    async with ConfirmaPartner(
        partner_token=partner_token, base_url=base_url, config=CONFIG, max_in_flight=32
    ) as partner:
        partner.shared_session()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        for client_id, token in tokens:
            await partner.register(client_id, token)
        gc.collect()
        idle = tracemalloc.take_snapshot()
        clients = list(partner.clients.values())
        await asyncio.gather(*(c.payments.payments_window(DAY, DAY) for c in clients))
        gc.collect()
        used = tracemalloc.take_snapshot()
        tracemalloc.stop()

    def grown(after: Any) -> float:
        return sum(s.size_diff for s in after.compare_to(before, "filename")) / n

    return grown(idle), grown(used)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 invoices, 300 clients")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    invoices = 2_000 if args.quick else 10_000
    members = 300 if args.quick else 1_000
    latency = f"*:latency={LATENCY_MS}ms+{JITTER_MS}ms"
    proc, base_url, _ = await start_sandbox("--fault", latency, collect_garbage=False)
    try:
        assert proc.stdout is not None
        partner_token = (await proc.stdout.readline()).decode().split()[-1]
        r = await fairness(base_url, partner_token, invoices)
        idle, used = await memory(base_url, partner_token, members)
    finally:
        proc.terminate()
        await proc.wait()
    ratio = r["p99_loaded"] / r["p99_unloaded"]
    left = r["alone"] - r["polls_per_s"]
    share = r["shared"] / left
    report = [
        f"{POLLERS} pollers (a poll every {INTERVAL:g} s), 1 uploader ({invoices:,} invoices),",
        f"max_in_flight={MAX_IN_FLIGHT}, "
        f"{LATENCY_MS}-{LATENCY_MS + JITTER_MS} ms per request at the server",
        f"p99 poll latency unloaded   {r['p99_unloaded'] * 1000:8.1f} ms",
        f"p99 poll latency loaded     {r['p99_loaded'] * 1000:8.1f} ms   ({ratio:.2f}x)",
        f"uploads/s alone             {r['alone']:8.0f}",
        f"polls/s while uploading     {r['polls_per_s']:8.0f}",
        f"mean wait of a poll for a slot {r['slot_wait'] * 1000:5.1f} ms (while uploading)",
        f"uploads/s while polled      {r['shared']:8.0f}   ({share:.0%} of the capacity left)",
        f"memory per idle client      {idle / 1024:8.1f} KB (registered, never used)",
        f"memory per client after use {used / 1024:8.1f} KB (attached to the store)",
    ]
    print("\n".join(report))
    figures = [
        figure("p99 poll latency, unloaded", r["p99_unloaded"] * 1000, "ms"),
        figure("p99 poll latency under upload / unloaded", ratio, "x", "< 2x", ratio < 2),
        figure("uploader's share of the capacity left", share * 100, "%", ">= 80 %", share >= 0.8),
        figure("memory per idle client", idle / 1024, "KB", "< 20 KB", idle < 20 * 1024),
        figure("memory per client after one request", used / 1024, "KB", "< 20 KB", used < 20480),
    ]
    for fig in figures:
        if fig["ok"] is not None:
            print(f"{fig['name']}: {'OK' if fig['ok'] else 'MISSED'}")
    write(args.json, "bench_partner", args.quick, figures, report=report)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
