"""``confirma demo``: the client end to end against an in-process sandbox, with a short report.

Uploads generated invoices through the batch submitter, moves the sandbox clock so distribution,
actions, debtor payments and a settlement run happen, then reads everything back through the
public client API. No credentials, no network: the sandbox listens on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import TextIO

from .. import (
    ActionCode,
    ActionData,
    ActionsRequest,
    BuyerParty,
    ConfirmaClient,
    Distribution,
    DistributionMethod,
    Invoice,
    InvoiceAction,
    InvoiceAmounts,
    InvoiceHeader,
    InvoiceRequest,
    Processing,
)
from ..testing import ManualClock, Sandbox, SandboxConfig

FIRST_NUMBER = 260_100_000


def demo_invoice(number: int, today: date, seed: int) -> InvoiceRequest:
    """A varied but deterministic invoice: dates over 10 days, amounts, channels, controls."""
    h = int.from_bytes(hashlib.blake2b(f"{seed}|{number}".encode(), digest_size=8).digest())
    day = today - timedelta(days=h % 10)
    method = (DistributionMethod.EMAIL, DistributionMethod.EMAIL, DistributionMethod.PAPER)[h % 3]
    email = None if (h >> 8) % 50 == 0 else f"buyer{number}@example.com"
    return InvoiceRequest(
        processing=Processing(payment_control_enabled=(h >> 12) % 10 < 7),
        distribution=Distribution(method=method),
        invoice=Invoice(
            header=InvoiceHeader(
                number=number,
                date=day,
                due_date=day + timedelta(days=14),
                currency_code="EUR",
            ),
            amounts=InvoiceAmounts(total_amount=Decimal(1_000 + (h >> 16) % 99_000) / 100),
            buyer=BuyerParty(name=f"Buyer {number}", email=email, country_code="FI"),
        ),
    )


def _eur(amount: Decimal) -> str:
    return f"{amount:,.2f} EUR"


async def run_demo(
    *, invoices: int = 1000, concurrency: int = 32, seed: int = 0, out: TextIO | None = None
) -> int:
    """Run the demo and print its summary; returns the process exit code."""
    stream = out or sys.stdout
    started = time.perf_counter()

    def say(label: str, text: str) -> None:
        print(f"  {label:<14} {text}", file=stream, flush=True)

    clock = ManualClock()
    today = clock.now().date()
    async with (
        Sandbox(SandboxConfig(seed=seed), clock=clock) as sb,
        ConfirmaClient(api_key=sb.client_token, base_url=sb.base_url) as client,
    ):
        print("confirma demo: the client against an in-process CFIS sandbox", file=stream)
        say("sandbox", f"{sb.base_url} (seed {seed}, clock {clock.now():%Y-%m-%d %H:%M} UTC)")
        validation = await client.tokens.validate_token()
        say("token", "valid" if validation.is_valid else f"INVALID: {validation.message}")

        numbers = range(FIRST_NUMBER, FIRST_NUMBER + invoices)
        t0 = time.perf_counter()
        batch = client.batch(concurrency=concurrency)
        summary = await batch.run(
            batch.submit_invoices(demo_invoice(n, today, seed) for n in numbers)
        )
        took = time.perf_counter() - t0
        say(
            "upload",
            f"{invoices:,} invoices in {took:.2f} s ({invoices / took:,.0f}/s, concurrency "
            f"{concurrency}): {summary.created:,} created, {summary.failed:,} failed",
        )

        sb.advance(timedelta(minutes=10))
        say("clock", "+10 min: the sandbox distributes the invoices")
        start, end = today - timedelta(days=9), today
        pager = client.invoices.distributions(start, end)
        statuses: Counter[str] = Counter()
        cases: list[int] = []
        async for record in pager:
            statuses[str(record.distribution_status)] += 1
            if record.case_id is not None and record.invoice_number is not None:
                cases.append(record.invoice_number)
        by_status = ", ".join(f"{n:,} {s}" for s, n in statuses.most_common())
        say(
            "distribution",
            f"{sum(statuses.values()):,} records streamed: {by_status}; "
            f"{len(cases):,} under payment control",
        )

        target = cases[0]
        await client.invoices.create_actions(
            ActionsRequest(
                actions=[
                    InvoiceAction(
                        code=ActionCode.COMMENT,
                        comment="Buyer asked for a copy",
                        data=ActionData(invoice_number=target),
                    ),
                    InvoiceAction(
                        code=ActionCode.DIRECT_PAYMENT,
                        data=ActionData(
                            invoice_number=target, amount=Decimal("10.00"), payment_date=today
                        ),
                    ),
                ]
            )
        )
        say("actions", f"comment + direct payment of 10.00 EUR queued for invoice {target}")
        sb.advance(timedelta(days=5))
        say("clock", "+5 days: actions applied, debtors pay, a settlement run")

        details = (await client.invoices.case(invoice_number=target)).case
        s, b = details.summary, details.balance
        say(
            f"case {s.case_id}",
            f"invoice {target}: {s.status}/{s.stage}, balance {_eur(b.total_amount or Decimal(0))} "
            f"(capital {b.capital_amount}, costs {b.costs_amount}), {len(details.events)} events, "
            f"{len(details.payments)} payment(s)",
        )
        payments = await client.payments.list(start, end + timedelta(days=5)).to_list()
        paid = sum((p.amount or Decimal(0) for p in payments), Decimal(0))
        say("payments", f"{len(payments):,} payments, {_eur(paid)}")
        settlements = await client.payments.settlements(start, end + timedelta(days=5)).to_list()
        settled = sum((x.settlement_amount for x in settlements), Decimal(0))
        allocations = sum(len(x.allocations) for x in settlements)
        consistent = settled == paid and allocations == len(payments)
        say(
            "settlements",
            f"{len(settlements)} settlement(s), {_eur(settled)} in {allocations:,} allocations "
            f"({'matches the payments' if consistent else 'DOES NOT match the payments'})",
        )
        accepted = sb.state.accepted_counts()
        once = all(accepted[n] == 1 for n in numbers)
        say("server check", f"every invoice stored exactly once: {'yes' if once else 'NO'}")
    print(f"  done in {time.perf_counter() - started:.1f} s", file=stream)
    return 0 if once and consistent and summary.failed == 0 else 1
