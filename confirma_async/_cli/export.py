"""``confirma distributions``, ``payments`` and ``settlements``: stream records to stdout.

Records are written as they arrive (flushed after every date window, after every record with
``--watch``) as JSONL, CSV or a table (see ``writers`` and ``listing``). ``--watch`` polls for
new and changed distribution records until Ctrl-C, which ends it normally (exit 0).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, timedelta
from typing import Any

import click

from .. import ConfirmaClient, DistributionRecord, Page, Payment, Settlement
from .listing import check_range, export, output_of, output_options, pages_of, window_option
from .params import DATE_METAVAR, given, parse_date, settings_of
from .runner import EXIT_OK, run
from .watch import watch as watch_records

_NARROW = (
    "narrow the query: --invoice-number N for one invoice, or --fetch-type TYPE (passed to the "
    "server as fetchType); a server with a higher per-response limit also helps"
)


@click.command("distributions")
@click.option(
    "--from",
    "start",
    callback=parse_date,
    metavar=DATE_METAVAR,
    required=True,
    help="First invoice date (YYYY-MM-DD).",
)
@click.option(
    "--to",
    "end",
    callback=parse_date,
    metavar=DATE_METAVAR,
    help="Last invoice date, inclusive (not with --watch).",
)
@click.option(
    "--invoice-number",
    type=click.IntRange(min=1),
    help="Only this invoice's record (the server filters: invoiceNumber).",
)
@click.option(
    "--fetch-type",
    metavar="TYPE",
    help="Passed to the server as fetchType (its values are undocumented, assumption A11).",
)
@click.option("--watch", is_flag=True, help="Keep polling for new and changed records.")
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="--watch: seconds between polls (at least 1).",
)
@click.option(
    "--lookback",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="--watch: every poll re-reads this many days back from today.",
)
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False),
    help="--watch: resume from this JSON file and keep it up to date (no repeats on restart).",
)
@window_option
@output_options
@click.pass_context
def distributions_command(
    ctx: click.Context,
    /,
    start: date,
    end: date | None,
    invoice_number: int | None,
    fetch_type: str | None,
    watch: bool,
    interval: float,
    lookback: int,
    checkpoint: str | None,
    window_days: int,
    **options: Any,
) -> None:
    """Stream distribution records with invoice dates from --from to --to.

    With --watch (no --to): stream the records from --from on, then every --interval seconds
    the new and changed ones, until Ctrl-C (exit 0).
    """
    settings = settings_of(ctx)
    output = output_of(options)
    window = timedelta(days=window_days)
    if watch:
        if end is not None:
            raise click.UsageError("--to does not apply to --watch (it follows new records)")
        for name in ("invoice_number", "fetch_type"):
            if given(ctx, name):
                raise click.UsageError(f"--{name.replace('_', '-')} does not apply to --watch")
        if output.fmt == "table":
            raise click.UsageError("--format table does not apply to --watch (use jsonl or csv)")
        run(
            settings,
            lambda: watch_records(
                settings, start, interval, lookback, checkpoint, window, output.fmt, output.extra
            ),
            interrupted_code=EXIT_OK,
        )
    for name in ("interval", "lookback", "checkpoint"):
        if given(ctx, name):
            raise click.UsageError(f"--{name} applies only to --watch")
    if end is None:
        raise click.UsageError("--to is required (or --watch)")
    check_range(start, end)
    pages = pages_of(
        lambda c: c.invoices.distributions(
            start, end, invoice_number=invoice_number, fetch_type=fetch_type, window=window
        )
    )
    span = (start, end)
    run(
        settings,
        lambda: export(settings, pages, output, DistributionRecord, span, hint=_NARROW),
    )


@click.command("payments")
@click.option(
    "--from",
    "start",
    callback=parse_date,
    metavar=DATE_METAVAR,
    required=True,
    help="First payment date.",
)
@click.option(
    "--to",
    "end",
    callback=parse_date,
    metavar=DATE_METAVAR,
    required=True,
    help="Last payment date, inclusive.",
)
@window_option
@output_options
@click.pass_context
def payments_command(
    ctx: click.Context, /, start: date, end: date, window_days: int, **options: Any
) -> None:
    """Stream payments allocated to cases (provisional figures) by payment date."""
    settings = settings_of(ctx)
    output = output_of(options)
    check_range(start, end)
    window = timedelta(days=window_days)
    pages = pages_of(lambda c: c.payments.list(start, end, window=window))
    run(settings, lambda: export(settings, pages, output, Payment, (start, end)))


@click.command("settlements")
@click.option(
    "--from", "start", callback=parse_date, metavar=DATE_METAVAR, help="First settlement date."
)
@click.option(
    "--to",
    "end",
    callback=parse_date,
    metavar=DATE_METAVAR,
    help="Last settlement date, inclusive.",
)
@click.option(
    "--unfetched-only",
    is_flag=True,
    help=(
        "Only settlements this integration has not retrieved before (documented). That the "
        "server marks what it returns as fetched, and how this combines with dates, is "
        "assumption A13."
    ),
)
@window_option
@output_options
@click.pass_context
def settlements_command(
    ctx: click.Context,
    /,
    start: date | None,
    end: date | None,
    unfetched_only: bool,
    window_days: int,
    **options: Any,
) -> None:
    """Stream settlements (the authoritative figures) by settlement date.

    The dates may be left out with --unfetched-only: one request then asks for the settlements
    this integration has not retrieved before (documented). Assumption A13: the server marks
    what it returns as fetched, so lost output does not come back that way; re-read it by dates
    without --unfetched-only. As CSV, a settlement is one row per allocation (its own columns
    repeated on each).
    """
    settings = settings_of(ctx)
    output = output_of(options)
    check_range(start, end)
    if start is None or end is None:
        if not unfetched_only:
            raise click.UsageError("give --from and --to, or --unfetched-only")
        run(settings, lambda: export(settings, _unfetched, output, Settlement))
    window = timedelta(days=window_days)
    a, b = start, end
    pages = pages_of(
        lambda c: c.payments.settlements(a, b, unfetched_only=unfetched_only, window=window)
    )
    run(settings, lambda: export(settings, pages, output, Settlement, (a, b)))


async def _unfetched(client: ConfirmaClient) -> AsyncGenerator[Page[Any], None]:
    page = await client.payments.settlements_window(unfetched_only=True)
    today = date.today()
    yield Page(start=today, end=today, items=list(page.settlements))
