"""Renewals per token expiry with 1, 4 and 8 replica processes sharing a PostgreSQL token store.

Setup: a throwaway PostgreSQL server (``confirma_async.testing._postgres``) and a sandbox in this
process on 127.0.0.1. N replica processes (``_token_replica.py``: each its own client, pool and
listening connection, one ``PostgresTokenStore``) attach and say ``ready``. Then, ``--expiries``
times: every token is expired at the sandbox, every replica fires ``--calls`` concurrent calls
(50), and the sandbox counts ``GET /renew``. Goal: exactly 1 renewal per expiry whatever N, and
every call succeeds. For context, the same with 4 replicas without a shared store: each renews on
its own, and as the sandbox revokes the old token on renewal (A20), the others' renewals and
calls fail.

Run: ``.venv/bin/python benchmarks/bench_tokens.py`` (``--quick``: 2 expiries instead of 5;
``--json PATH`` also writes the figures as JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from _results import figure, write
from _token_replica import go, start_replicas, stop

from confirma_async.testing import Sandbox
from confirma_async.testing._postgres import ThrowawayPostgres, find_postgres_bindir


async def run(dsn: str, processes: int, calls: int, expiries: int) -> dict[str, Any]:
    async with Sandbox() as sb:
        procs = await start_replicas(sb, dsn, processes, calls)
        try:
            renewals: list[int] = []
            ok = errors = 0
            started = time.perf_counter()
            for _ in range(expiries):
                before = sb.state.requests_received("GET", "/renew")
                sb.expire_tokens_at(sb.clock.now())
                for report in await go(procs):
                    ok += report["ok"]
                    errors += len(report["errors"])
                renewals.append(sb.state.requests_received("GET", "/renew") - before)
            elapsed = time.perf_counter() - started
        finally:
            await stop(procs)
    return {"renewals": renewals, "ok": ok, "errors": errors, "seconds": elapsed}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expiries", type=int, default=5, help="token expiries per replica count")
    parser.add_argument("--calls", type=int, default=50, help="concurrent calls per replica")
    parser.add_argument("--quick", action="store_true", help="2 expiries")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    expiries = 2 if args.quick else args.expiries
    bindir = find_postgres_bindir()
    if bindir is None:
        print("no PostgreSQL server binaries (initdb/pg_ctl) on this machine: nothing measured")
        return 1
    figures: list[dict[str, object]] = []
    print(f"== renewals per token expiry ({expiries} expiries, {args.calls} calls per replica)")
    print(f"{'replicas':>8} {'renewals/expiry':>16} {'calls ok':>9} {'errors':>7} {'s/expiry':>9}")
    with ThrowawayPostgres(bindir=bindir) as server:
        for n, processes in enumerate((1, 4, 8)):
            dsn = server.create_database(f"bench_tokens_{n}")
            r = await run(dsn, processes, args.calls, expiries)
            good = all(count == 1 for count in r["renewals"]) and r["errors"] == 0
            per_expiry = "/".join(str(c) for c in r["renewals"])
            print(
                f"{processes:>8} {per_expiry:>16} {r['ok']:>9} {r['errors']:>7} "
                f"{r['seconds'] / expiries:>9.2f}  {'OK' if good else 'MISSED'}"
            )
            worst = max(r["renewals"])
            figures.append(
                figure(f"renewals per expiry, {processes} replicas", worst, "renewals", "1", good)
            )
        r = await run("-", 4, args.calls, expiries)
        asked = "/".join(str(c) for c in r["renewals"])
        print(
            f"{'4, alone':>8} {asked:>16} {r['ok']:>9} {r['errors']:>7} "
            f"{r['seconds'] / expiries:>9.2f}  (context: no shared store)"
        )
        figures.append(
            figure("without a shared store, 4 replicas: failed calls", r["errors"], "calls")
        )
    write(args.json, "bench_tokens", args.quick, figures)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
