"""The rich side of ``confirma submit``: a live progress bar on stderr, a summary table on stdout.

Imported only by the submit commands, so the rest of the CLI never pays for rich.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from .tables import print_plain

if TYPE_CHECKING:
    from .tally import Tally


class RateColumn(ProgressColumn):
    """Lines per second, estimated by rich over the last seconds."""

    def render(self, task: Task) -> Text:
        """The rate as ``123 lines/s`` (``?`` before there is an estimate)."""
        speed = task.finished_speed or task.speed
        return Text("? lines/s" if speed is None else f"{speed:,.0f} lines/s")


class SubmitView:
    """What the operator sees: progress while running (if ``live``), one table at the end."""

    def __init__(self, *, title: str, total: int | None, live: bool | None) -> None:
        self.err = Console(stderr=True, highlight=False)
        self.out = Console(highlight=False)
        self._title = title
        show = self.err.is_terminal if live is None else live
        columns: list[ProgressColumn | str] = [
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            RateColumn(),
            TimeElapsedColumn(),
        ]
        if total is not None:
            columns.append(TimeRemainingColumn())
        self._progress = Progress(*columns, console=self.err, disable=not show)
        self._task = self._progress.add_task("submitting", total=total, counts="")

    def __enter__(self) -> SubmitView:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def report(self, message: str) -> None:
        """One line on stderr, above the progress bar (never parsed as rich markup)."""
        self._progress.console.print(Text(message), soft_wrap=True)

    def update(self, tally: Tally) -> None:
        """Show the current counts (items the journal already had apart: nothing was sent)."""
        counts = (
            f"{tally.created} created · {tally.already_exists} existing · {tally.failed} failed"
        )
        if tally.from_journal:
            counts += f" · {tally.from_journal} done earlier"
        self._progress.update(self._task, completed=tally.done, counts=counts)

    def summary(self, tally: Tally, notes: list[str]) -> None:
        """Print the summary table (stdout) and the notes under it."""
        table = Table(title=self._title, show_header=False, box=box.SIMPLE, title_justify="left")
        table.add_column("what")
        table.add_column("count", justify="right")
        table.add_row("created", f"{tally.created}")
        table.add_row("already existing", f"{tally.already_exists}")
        table.add_row("failed", f"{tally.failed}")
        table.add_row("  malformed lines", f"{tally.malformed}")
        table.add_row("  outcome unknown", f"{tally.outcome_unknown}")
        if tally.circuit_open:
            table.add_row("  held back (server down)", f"{tally.circuit_open}")
        if tally.unreported:
            table.add_row("no result (run stopped)", f"{tally.unreported}")
        table.add_row("total", f"{tally.total}")
        table.add_row("  skipped (in journal)", f"{tally.from_journal}")
        if tally.journal_created:
            table.add_row("    created earlier", f"{tally.journal_created}")
        if tally.journal_existing:
            table.add_row("    existing earlier", f"{tally.journal_existing}")
        if tally.blank:
            table.add_row("blank lines (ignored)", f"{tally.blank}")
        table.add_row("requests", f"{tally.attempts} sent, {tally.lookups} lookups")
        elapsed = tally.elapsed
        rate = tally.done / elapsed if elapsed > 0 else 0.0
        table.add_row("elapsed", f"{elapsed:.2f} s ({rate:,.0f} lines/s)")
        print_plain(self.out, table)
        for note in notes:
            self.out.print(Text(note), soft_wrap=True)
