"""Sending a JSONL file line by line to a write endpoint that the batch submitter does not cover.

Used by ``confirma accounting ledger submit``, ``accounting payments submit`` and ``clients
create``: each line is one request body (wire format), validated into its model first (a bad line
is reported with its number, never sent). Lines are sent one at a time, in order. With
``--journal`` (the same file format as ``confirma submit``'s) each line's key is recorded before
it is sent and its outcome after, so a rerun skips what is done and never re-sends a line whose
outcome is unknown (these endpoints have no lookup): it is reported instead, to be checked by
hand (the status commands show what the server has). A 409 is taken as already submitted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from .. import ConfirmaClient, ConfirmaError, ConflictError, Journal
from .._core.json import dumps
from ..models import to_wire
from .params import binary_stream, open_input
from .reader import ModelLines
from .runner import EXIT_FAILED, EXIT_OK, describe_error

CREATED, EXISTS, FAILED = "CREATED", "ALREADY_EXISTS", "FAILED"


@attrs.frozen(kw_only=True)
class WriteJob:
    """What one command sends: the line model, its journal key and the request."""

    kind: str
    """The journal's kind for these lines (``ledger``, ``accounting-payment``, ``client``)."""
    model: type[Any]
    key: Callable[[Any], str]
    send: Callable[[ConfirmaClient, Any], Awaitable[Any]]
    answer: Callable[[Any], dict[str, Any]] = to_wire
    """The part of a success's answer that is printed (``--format jsonl``)."""


@attrs.define
class _Counts:
    sent: int = 0
    created: int = 0
    existing: int = 0
    failed: int = 0
    malformed: int = 0
    unknown: int = 0
    skipped: int = 0


async def send_lines(
    client: ConfirmaClient,
    job: WriteJob,
    path: str,
    *,
    journal_path: str | None,
    fsync: bool,
    fmt: str,
) -> int:
    """Send every line of ``path``; print results; exit code 0 when nothing failed, else 1."""
    from rich.console import Console

    err = Console(stderr=True, highlight=False)
    out = binary_stream("stdout")
    counts = _Counts()

    def emit(line: int, key: str | None, status: str, **more: Any) -> None:
        if fmt == "jsonl":
            record = {"line": line, "key": key, "status": status, **more}
            out.write(dumps({k: v for k, v in record.items() if v is not None}) + b"\n")
            out.flush()

    def bad(line: int, reason: str) -> None:
        counts.malformed += 1
        err.print(f"line {line}: {reason}", markup=False)
        emit(line, None, FAILED, error=reason)

    journal = None if journal_path is None else Journal(journal_path, fsync=fsync)
    with open_input(path) as stream, contextlib.ExitStack() as stack:
        lines = ModelLines(stream, job.model, on_bad=bad)
        async with client:
            if journal is not None:
                journal.open(client.base_url, client=None)
                stack.callback(journal.close)
            for index, model in enumerate(lines):
                line = lines.line_of(index) or 0
                key = job.key(model)
                entry = journal.get(job.kind, key) if journal is not None else None
                if entry is not None and entry.done:
                    counts.skipped += 1
                    emit(line, key, entry.status, journal=True)
                    continue
                if entry is not None and entry.maybe_sent:
                    counts.failed += 1
                    counts.unknown += 1
                    reason = "an earlier run sent it and its outcome is unknown: not sent again"
                    err.print(f"line {line}: {key}: {reason}", markup=False)
                    emit(line, key, FAILED, error=reason, journal=True)
                    continue
                await _send_one(client, job, model, line, key, journal, counts, err, emit)
    _summary(counts, path, fmt)
    return EXIT_OK if counts.failed + counts.malformed == 0 else EXIT_FAILED


async def _send_one(
    client: ConfirmaClient,
    job: WriteJob,
    model: Any,
    line: int,
    key: str,
    journal: Journal | None,
    counts: _Counts,
    err: Any,
    emit: Callable[..., None],
) -> None:
    if journal is not None:
        journal.sending(job.kind, key)
    counts.sent += 1
    error: str | None
    try:
        answer = await job.send(client, model)
    except ConflictError as exc:
        status, error, unknown = EXISTS, describe_error(exc), False
        counts.existing += 1
        emit(line, key, status, error=error)
    except ConfirmaError as exc:
        status, error, unknown = FAILED, describe_error(exc), exc.outcome_unknown
        counts.failed += 1
        counts.unknown += unknown
        hint = " (outcome unknown: the server may have applied it)" if unknown else ""
        err.print(f"line {line}: {key}: {error}{hint}", markup=False)
        emit(line, key, status, error=error)
    else:
        status, error, unknown = CREATED, None, False
        counts.created += 1
        emit(line, key, status, answer=job.answer(answer))
    if journal is not None:
        journal.finished(job.kind, key, status, unknown=unknown, attempts=1, error=error)


def _summary(counts: _Counts, path: str, fmt: str) -> None:
    if fmt == "jsonl":
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from .tables import print_plain

    table = Table(title=f"{path}", show_header=False, box=box.SIMPLE, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("created", counts.created),
        ("already existing", counts.existing),
        ("failed", counts.failed + counts.malformed),
        ("  malformed lines", counts.malformed),
        ("  outcome unknown", counts.unknown),
        ("skipped (in journal)", counts.skipped),
        ("requests sent", counts.sent),
    ):
        table.add_row(label, str(value))
    print_plain(Console(highlight=False), table)
