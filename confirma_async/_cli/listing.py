"""What every listing command shares: its options, and streaming pages to stdout with progress.

Records are written as they arrive, flushed after every date window. On a terminal, a long export
shows its progress on stderr (days of the range done, records, rate) — only while stdout goes
elsewhere (a file, a pipe): records printed on the terminal are their own progress. Never when
stderr is not a terminal, unless ``--progress`` asks.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncGenerator, Callable
from datetime import date
from typing import Any, TypeVar

import attrs
import click

from .. import AsyncPager, ConfirmaClient, Page, WindowTruncatedError
from .params import binary_stream, stack
from .runner import EXIT_OK
from .settings import Settings
from .writers import writer_for

F = TypeVar("F", bound=Callable[..., Any])
Pages = Callable[[ConfirmaClient], AsyncGenerator[Page[Any], None]]


@attrs.frozen(kw_only=True)
class Output:
    """How a listing is written: ``--format``, ``--extra``, ``--progress``."""

    fmt: str
    extra: bool
    progress: bool | None


output_options = stack(
    click.option(
        "--format",
        "fmt",
        type=click.Choice(["jsonl", "csv", "table"]),
        default="jsonl",
        show_default=True,
        help="jsonl: one wire-format JSON object a line (everything the server sent); csv: "
        "wire names as the header, nested objects as dotted columns, a list of objects as "
        "one row per item (settlements: one row per allocation); table: for reading.",
    ),
    click.option(
        "--extra",
        is_flag=True,
        help="csv: add an 'extra' column with the undocumented fields the server sent.",
    ),
    click.option(
        "--progress/--no-progress",
        default=None,
        help="Show progress on stderr (default: when stderr is a terminal and stdout is not).",
    ),
)
"""``--format``, ``--extra`` and ``--progress/--no-progress``."""


def output_of(values: dict[str, Any]) -> Output:
    """The :class:`Output` of a command's keyword arguments (removed from ``values``)."""
    return Output(fmt=values.pop("fmt"), extra=values.pop("extra"), progress=values.pop("progress"))


def window_option(command: F) -> F:
    """Add ``--window`` (days a request covers) to ``command``."""
    return click.option(
        "--window",
        "window_days",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Days each request covers (wide windows are split by the client when needed).",
    )(command)


def check_range(start: date | None, end: date | None) -> None:
    """Both or neither of --from/--to, in order."""
    if (start is None) != (end is None):
        raise click.UsageError("give both --from and --to")
    if start is not None and end is not None and end < start:
        raise click.UsageError(f"--to {end} is before --from {start}")


def pages_of(make: Callable[[ConfirmaClient], AsyncPager[Any]]) -> Pages:
    """The pages of the pager ``make(client)`` builds."""

    async def pages(client: ConfirmaClient) -> AsyncGenerator[Page[Any], None]:
        async with make(client) as pager:
            async for page in pager.pages():
                yield page

    return pages


async def export(
    settings: Settings,
    pages: Pages,
    output: Output,
    cls: type[Any],
    span: tuple[date, date] | None = None,
    hint: str = "",
) -> int:
    """Write every record of ``pages`` to stdout; returns the exit code.

    ``span`` (the range asked for) sizes the progress bar; ``hint`` is added to the error of a
    day with more records than the server returns (how to narrow the query).
    """
    client = settings.client()
    writer = writer_for(output.fmt, binary_stream("stdout"), cls, extra=output.extra)
    with _ExportProgress(span, output.progress) as progress:
        try:
            async with client, contextlib.aclosing(pages(client)) as stream:
                async for page in stream:
                    for record in page.items:
                        writer.write(record)
                    writer.flush()
                    progress.advance(page)
        except WindowTruncatedError as exc:
            if hint:
                exc.add_note(hint)
            raise
        finally:
            writer.close()
    return EXIT_OK


class _ExportProgress:
    """Days done, records and rate on stderr (a no-op when not shown)."""

    def __init__(self, span: tuple[date, date] | None, show: bool | None) -> None:
        if show is None:
            show = sys.stderr.isatty() and not sys.stdout.isatty()
        self._span = span
        self._records = 0
        self._progress: Any = None
        if show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            total = None if span is None else (span[1] - span[0]).days + 1
            self._progress = Progress(
                TextColumn("exporting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("days · {task.fields[records]:,} records · {task.fields[window]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True, highlight=False),
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._task = self._progress.add_task("export", total=total, records=0, window="")

    def __enter__(self) -> _ExportProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, page: Page[Any]) -> None:
        """One more window written."""
        self._records += len(page.items)
        if self._progress is None:
            return
        done = None if self._span is None else (page.end - self._span[0]).days + 1
        window = page.start.isoformat()
        if page.end != page.start:
            window += f"..{page.end.isoformat()}"
        self._progress.update(self._task, completed=done, records=self._records, window=window)
