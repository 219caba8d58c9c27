"""What ``confirma jobs status`` and ``confirma jobs results`` print."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import IO

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from .. import JobItemResult, JobStatus
from .._core.json import dumps

RESULT_COLUMNS = (
    "line",
    "key",
    "state",
    "attempts",
    "lookups",
    "outcomeUnknown",
    "errorType",
    "error",
    "finishedAt",
)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def counts_line(status: JobStatus) -> str:
    """One line of counts, rate and ETA (the ``--watch`` bar's text)."""
    rate = "?" if status.rate is None else f"{status.rate:,.0f}/s"
    return (
        f"{status.created} created · {status.already_exists} existing · {status.failed} failed · "
        f"{status.in_progress} in progress · {status.workers} workers · {rate} · "
        f"ETA {_duration(status.eta) if not status.finished else '0:00:00'}"
    )


def status_table(status: JobStatus) -> Table:
    """The job's counts, rate, ETA and failures by reason."""
    title = f"job {status.job_id} ({status.kind}s{', ' + status.name if status.name else ''})"
    table = Table(title=title, show_header=False, box=box.SIMPLE, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("total", f"{status.total}")
    table.add_row("created", f"{status.created}")
    table.add_row("already existing", f"{status.already_exists}")
    table.add_row("failed", f"{status.failed}")
    table.add_row("  outcome unknown", f"{status.outcome_unknown}")
    table.add_row("in progress (claimed)", f"{status.in_progress}")
    table.add_row("pending", f"{status.pending}")
    table.add_row("workers alive", f"{status.workers}")
    table.add_row("rate", "?" if status.rate is None else f"{status.rate:,.1f}/s")
    table.add_row("ETA", "done" if status.finished else _duration(status.eta))
    for reason, count in status.failures.items():
        table.add_row(f"  failed: {reason}", f"{count}")
    return table


class WatchView:
    """``--watch``: a progress bar of the job's final items, with its counts, on stderr."""

    def __init__(self, status: JobStatus) -> None:
        self.console = Console(stderr=True, highlight=False)
        self._progress = Progress(
            TextColumn(f"job {status.job_id}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            console=self.console,
        )
        self._task = self._progress.add_task("job", total=status.total, counts="")

    def __enter__(self) -> WatchView:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def update(self, status: JobStatus) -> None:
        """Show ``status``."""
        self._progress.update(self._task, completed=status.done, counts=counts_line(status))


def print_status(status: JobStatus) -> None:
    """The status table on stdout."""
    out = Console(highlight=False)
    out.print(status_table(status))
    if status.outcome_unknown:
        out.print(
            Text(
                f"{status.outcome_unknown} item(s) have an unknown outcome: `confirma jobs "
                "retry-failed` makes workers look invoices up before sending them again"
            ),
            soft_wrap=True,
        )


def _fields(result: JobItemResult) -> tuple[object, ...]:
    finished = result.finished_at.isoformat() if result.finished_at is not None else None
    return (
        result.line,
        result.key,
        result.state,
        result.attempts,
        result.lookups,
        result.outcome_unknown,
        result.error_type,
        result.error,
        finished,
    )


async def write_results(
    results: AsyncIterator[JobItemResult], out: IO[bytes], fmt: str, only_failed: bool
) -> int:
    """Write every result as JSONL or CSV to ``out``; return how many were written."""
    written = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(RESULT_COLUMNS)
    async for result in results:
        if only_failed and result.state != "failed":
            continue
        written += 1
        fields = _fields(result)
        if writer is None:
            out.write(dumps(dict(zip(RESULT_COLUMNS, fields, strict=True))) + b"\n")
        else:
            writer.writerow(
                ["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in fields]
            )
            if buffer.tell() > 1 << 16:
                out.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
    if writer is not None:
        out.write(buffer.getvalue().encode())
    out.flush()
    return written
