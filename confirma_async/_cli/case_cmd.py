"""``confirma case``: the agency case of a case id or an invoice number."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from .. import CaseDetails, CaseEvent
from .._core.json import dumps
from ..models import to_wire
from .params import binary_stream, settings_of
from .runner import EXIT_OK, run
from .settings import Settings


@click.command("case")
@click.argument("case_id", type=click.IntRange(min=1), required=False)
@click.option("--invoice-number", type=click.IntRange(min=1), help="Look the case up by invoice.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: a readable summary; json: the wire-format answer on one line.",
)
@click.pass_context
def case_command(
    ctx: click.Context, case_id: int | None, invoice_number: int | None, fmt: str
) -> None:
    """Show an agency case: summary, balance, payments and events.

    Give CASE_ID or --invoice-number (one of them).
    """
    if (case_id is None) == (invoice_number is None):
        raise click.UsageError("give CASE_ID or --invoice-number (exactly one)")
    settings = settings_of(ctx)
    run(settings, lambda: _show(settings, case_id, invoice_number, fmt))


async def _show(
    settings: Settings, case_id: int | None, invoice_number: int | None, fmt: str
) -> int:
    async with settings.client() as client:
        details = await client.invoices.case(case_id=case_id, invoice_number=invoice_number)
    if fmt == "json":
        out = binary_stream("stdout")
        out.write(dumps(to_wire(details)) + b"\n")
        out.flush()
    else:
        render(details)
    return EXIT_OK


def render(details: CaseDetails) -> None:
    """Print the case as rich tables on stdout."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from .tables import print_plain

    console = Console(highlight=False)
    case = details.case
    s, b = case.summary, case.balance
    facts = Table(
        title=f"case {s.case_id}", show_header=False, box=box.SIMPLE, title_justify="left"
    )
    facts.add_column("field")
    facts.add_column("value")
    rows = [
        ("status", s.status),
        ("stage", s.stage),
        ("created", s.created_at.isoformat(sep=" ", timespec="seconds")),
        ("closed", s.closed_at.isoformat() if s.closed_at else None),
        ("active days", s.active_days),
        ("creditor", s.creditor),
        ("agency", s.agency),
        ("currency", s.currency),
        ("capital", b.capital_amount),
        ("interest", b.interest_amount),
        ("costs", b.costs_amount),
        ("total", b.total_amount),
    ]
    for name, value in rows:
        if value is not None:
            facts.add_row(name, str(value))
    print_plain(console, facts)
    if case.payments:
        payments = Table(title="payments", box=box.SIMPLE, title_justify="left")
        for column in ("date", "amount", "reference"):
            payments.add_column(column, justify="right" if column == "amount" else "left")
        for p in case.payments:
            day = "" if p.payment_date is None else p.payment_date.isoformat()
            amount = "" if p.amount is None else str(p.amount)
            payments.add_row(day, amount, p.reference or "")
        print_plain(console, payments)
    if case.events:
        events = Table(title="events (oldest first)", box=box.SIMPLE, title_justify="left")
        for column in ("when", "type", "description"):
            events.add_column(column)
        # In time order whatever order the answer lists them in (undated ones last).
        for e in sorted(case.events, key=_event_time):
            when = (
                "" if e.event_date is None else e.event_date.isoformat(sep=" ", timespec="minutes")
            )
            events.add_row(when, e.type or "", e.description or "")
        print_plain(console, events)


def _event_time(event: CaseEvent) -> tuple[bool, datetime]:
    when = event.event_date
    if when is None:
        return True, datetime.min.replace(tzinfo=UTC)
    return False, when if when.tzinfo is not None else when.replace(tzinfo=UTC)
