"""``confirma distributions``, ``payments`` and ``settlements``: stream records to stdout.

Records are written as they arrive (flushed after every date window, after every record with
``--watch``) as JSONL or CSV (see ``writers``). ``--watch`` polls for new and changed
distribution records until Ctrl-C, which ends it normally (exit 0).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import date, timedelta
from typing import IO, Any

import click

from .. import AsyncPager, ConfirmaClient, DistributionRecord, Payment, Settlement
from .params import DATE_METAVAR, binary_stream, given, parse_date, settings_of
from .runner import EXIT_OK, run
from .settings import CliConfigError, Settings
from .writers import writer_for

Batches = Callable[[ConfirmaClient], AsyncGenerator[Sequence[Any], None]]

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one wire-format JSON object a line; csv: wire field names as the header.",
)
window_option = click.option(
    "--window",
    "window_days",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Days each request covers (wide windows are split by the client when needed).",
)


def _check_range(start: date | None, end: date | None) -> None:
    if (start is None) != (end is None):
        raise click.UsageError("give both --from and --to")
    if start is not None and end is not None and end < start:
        raise click.UsageError(f"--to {end} is before --from {start}")


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
@format_option
@click.pass_context
def distributions_command(
    ctx: click.Context,
    start: date,
    end: date | None,
    watch: bool,
    interval: float,
    lookback: int,
    checkpoint: str | None,
    window_days: int,
    fmt: str,
) -> None:
    """Stream distribution records with invoice dates from --from to --to.

    With --watch (no --to): stream the records from --from on, then every --interval seconds
    the new and changed ones, until Ctrl-C (exit 0).
    """
    settings = settings_of(ctx)
    window = timedelta(days=window_days)
    if watch:
        if end is not None:
            raise click.UsageError("--to does not apply to --watch (it follows new records)")
        run(
            settings,
            lambda: _watch(settings, start, interval, lookback, checkpoint, window, fmt),
            interrupted_code=EXIT_OK,
        )
    for name in ("interval", "lookback", "checkpoint"):
        if given(ctx, name):
            raise click.UsageError(f"--{name} applies only to --watch")
    if end is None:
        raise click.UsageError("--to is required (or --watch)")
    _check_range(start, end)
    batches = _pager(lambda c: c.invoices.distributions(start, end, window=window))
    run(settings, lambda: _export(settings, batches, fmt, DistributionRecord))


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
@format_option
@click.pass_context
def payments_command(
    ctx: click.Context, start: date, end: date, window_days: int, fmt: str
) -> None:
    """Stream payments allocated to cases (provisional figures) by payment date."""
    settings = settings_of(ctx)
    _check_range(start, end)
    window = timedelta(days=window_days)
    batches = _pager(lambda c: c.payments.list(start, end, window=window))
    run(settings, lambda: _export(settings, batches, fmt, Payment))


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
@format_option
@click.pass_context
def settlements_command(
    ctx: click.Context,
    start: date | None,
    end: date | None,
    unfetched_only: bool,
    window_days: int,
    fmt: str,
) -> None:
    """Stream settlements (the authoritative figures) by settlement date.

    The dates may be left out with --unfetched-only: one request then asks for the settlements
    this integration has not retrieved before (documented). Assumption A13: the server marks
    what it returns as fetched, so lost output does not come back that way; re-read it by dates
    without --unfetched-only.
    """
    settings = settings_of(ctx)
    _check_range(start, end)
    batches: Batches
    if start is None or end is None:
        if not unfetched_only:
            raise click.UsageError("give --from and --to, or --unfetched-only")
        batches = _unfetched
    else:
        window = timedelta(days=window_days)
        a, b = start, end
        batches = _pager(
            lambda c: c.payments.settlements(a, b, unfetched_only=unfetched_only, window=window)
        )
    run(settings, lambda: _export(settings, batches, fmt, Settlement))


def _pager(make: Callable[[ConfirmaClient], AsyncPager[Any]]) -> Batches:
    async def batches(client: ConfirmaClient) -> AsyncGenerator[Sequence[Any], None]:
        async with make(client) as pager:
            async for page in pager.pages():
                yield page.items

    return batches


async def _unfetched(client: ConfirmaClient) -> AsyncGenerator[Sequence[Any], None]:
    page = await client.payments.settlements_window(unfetched_only=True)
    yield page.settlements


def _stdout() -> IO[bytes]:
    return binary_stream("stdout")


async def _export(settings: Settings, batches: Batches, fmt: str, cls: type[Any]) -> int:
    client = settings.client()
    writer = writer_for(fmt, _stdout(), cls)
    async with client, contextlib.aclosing(batches(client)) as records:
        async for items in records:
            for record in items:
                writer.write(record)
            writer.flush()
    writer.flush()
    return EXIT_OK


async def _watch(
    settings: Settings,
    since: date,
    interval: float,
    lookback: int,
    checkpoint: str | None,
    window: timedelta,
    fmt: str,
) -> int:
    client = settings.client()
    saved = _load_checkpoint(checkpoint)
    writer = writer_for(fmt, _stdout(), DistributionRecord)
    writer.flush()
    async with client:
        watcher = client.invoices.watch_distributions(
            since=since,
            interval=interval,
            lookback=timedelta(days=lookback),
            checkpoint=saved,
            window=window,
        )
        saved_at_poll = 0
        try:
            async with watcher:
                async for record in watcher:
                    writer.write(record)
                    writer.flush()
                    if checkpoint is not None and watcher.stats.polls != saved_at_poll:
                        saved_at_poll = watcher.stats.polls
                        _save_checkpoint(checkpoint, watcher.checkpoint)
        finally:
            if checkpoint is not None:
                _save_checkpoint(checkpoint, watcher.checkpoint)
    return EXIT_OK


def _load_checkpoint(path: str | None) -> dict[str, Any] | None:
    if path is None or not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise CliConfigError(f"cannot read the checkpoint {path}: {exc}") from None
    if not isinstance(data, dict):
        raise CliConfigError(f"the checkpoint {path} is not a JSON object")
    return data


def _save_checkpoint(path: str, data: dict[str, Any]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".confirma-checkpoint-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
