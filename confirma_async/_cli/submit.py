"""``confirma submit`` and ``confirma actions submit``: a JSONL file through the batch submitter.

The file is streamed line by line into ``client.batch(...).submit_invoices`` (or
``submit_actions``, keyed by their content so that ``--journal`` can resume); a malformed line is
reported with its number and counted as failed. Exit code 0 when nothing failed, 1 otherwise, 2
for usage or configuration errors (a journal that cannot be used before anything is sent too:
locked, unreadable, bound to another server), 130 after Ctrl-C, which stops cleanly: the journal
stays consistent and the same command resumes. A journal that fails *during* the run (disk full)
stops it with exit 1 and a summary that counts the items left without a result.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import attrs
import click

from .. import (
    ActionsRequest,
    AuthenticationError,
    BatchResult,
    InvoiceAction,
    InvoiceRequest,
    Journal,
    JournalError,
    PermissionDeniedError,
    RequestValidationError,
)
from ..batch.invoices import write_invoice
from .params import open_input, settings_of, stack
from .reader import ModelLines, count_lines
from .runner import EXIT_FAILED, EXIT_OK, describe_error, run
from .settings import Settings
from .tally import Tally

Kind = Literal["invoices", "actions"]
_KEY_REJECTED = (AuthenticationError, PermissionDeniedError)


@attrs.frozen(kw_only=True)
class BatchOptions:
    """The options every submit command shares."""

    concurrency: int
    rate: float | None
    journal: str | None
    ordered: bool
    max_attempts: int
    fsync: bool
    progress: bool | None


batch_options = stack(
    click.option(
        "--concurrency",
        type=click.IntRange(min=1),
        default=32,
        show_default=True,
        help="Requests in flight at most.",
    ),
    click.option(
        "--rate",
        type=click.FloatRange(min=0, min_open=True),
        help="Requests per second at most (default: no limit).",
    ),
    click.option(
        "--journal",
        type=click.Path(dir_okay=False),
        help="Append-only JSONL record of outcomes; run the same command with the same "
        "journal to resume after Ctrl-C or a crash without sending anything twice.",
    ),
    click.option("--fsync", is_flag=True, help="Force every journal line to disk."),
    click.option("--ordered", is_flag=True, help="Report results in input order."),
    click.option(
        "--max-attempts",
        type=click.IntRange(min=1),
        default=5,
        show_default=True,
        help="Submissions per item at most.",
    ),
    click.option(
        "--progress/--no-progress",
        default=None,
        help="Show the live progress bar (default: when stderr is a terminal).",
    ),
)
"""The options every submit command shares."""


def _options(values: dict[str, Any]) -> BatchOptions:
    return BatchOptions(**{f.name: values[f.name] for f in attrs.fields(BatchOptions)})


@click.command("submit")
@click.argument(
    "path", metavar="INVOICES.jsonl", type=click.Path(dir_okay=False, exists=True, allow_dash=True)
)
@batch_options
@click.pass_context
def submit_command(ctx: click.Context, /, path: str, **options: Any) -> None:
    """Submit invoices from a JSONL file (- = stdin), one per line.

    Each line is the JSON object POST /invoice takes (wire format, camelCase). Malformed lines
    are reported on stderr with their line number and counted as failed; the run goes on.
    The journal remembers invoices by number. Exit code: 0 nothing failed, 1 something failed,
    2 usage/configuration error, 130 interrupted (rerun with the same --journal to resume).
    """
    settings = settings_of(ctx)
    run(settings, lambda: submit_file(settings, "invoices", path, _options(options)))


@click.group("actions")
def actions_group() -> None:
    """Invoice actions (comments, due-date extensions, direct payments, ...)."""


@actions_group.command("submit")
@click.argument(
    "path", metavar="ACTIONS.jsonl", type=click.Path(dir_okay=False, exists=True, allow_dash=True)
)
@batch_options
@click.pass_context
def submit_actions_command(ctx: click.Context, /, path: str, **options: Any) -> None:
    """Submit invoice actions from a JSONL file (- = stdin), one InvoiceAction per line.

    Each line is one action object of POST /invoice/action ({"code": ..., "data": {...}}),
    sent alone. The journal remembers actions by their content (code, target, fields), so lines
    may be added or moved between runs. An action whose outcome is unknown is never re-sent.
    Exit codes as for `confirma submit`.
    """
    settings = settings_of(ctx)
    run(settings, lambda: submit_file(settings, "actions", path, _options(options)))


async def submit_file(settings: Settings, kind: Kind, path: str, options: BatchOptions) -> int:
    """Stream ``path`` through the batch submitter; returns the exit code."""
    from .progress import SubmitView

    client = settings.client()  # configuration errors surface before anything is shown
    noun = "invoices" if kind == "invoices" else "actions"
    view = SubmitView(title=f"{noun} from {path}", total=count_lines(path), live=options.progress)
    tally = Tally()
    notes: list[str] = []
    finished = stopped = False

    def bad_line(line: int, reason: str) -> None:
        tally.add_malformed()
        view.report(f"line {line}: {reason}")
        view.update(tally)

    def blank_line() -> None:
        tally.blank += 1

    try:
        with open_input(path) as stream, view:
            model: type[Any] = InvoiceRequest if kind == "invoices" else InvoiceAction
            lines = ModelLines(
                stream,
                model,
                on_bad=bad_line,
                on_blank=blank_line,
                check=None if kind == "invoices" else check_action,
                prewrite=write_invoice if kind == "invoices" else None,
            )
            async with client:
                journal = (
                    None
                    if options.journal is None
                    else Journal(options.journal, fsync=options.fsync)
                )
                batch = client.batch(
                    options.concurrency,
                    rate_limit=options.rate,
                    ordered=options.ordered,
                    journal=journal,
                    max_attempts=options.max_attempts,
                )
                results = (
                    batch.submit_invoices(lines)
                    if kind == "invoices"
                    else batch.submit_actions(lines)
                )
                try:
                    async with results:
                        async for result in results:
                            tally.add(result)
                            line = lines.line_of(result.index)
                            if not result.ok:
                                view.report(_describe(kind, line, result))
                            view.update(tally)
                            if isinstance(result.error, _KEY_REJECTED):
                                notes.append("stopped early: the API rejected the API key")
                                stopped = True
                                break
                except JournalError as exc:
                    if not batch.stats.pulled:
                        raise  # nothing was sent: a usage error (exit 2)
                    tally.unreported = batch.stats.pulled - batch.stats.handed_back
                    notes.append(_journal_failed_note(exc, tally, kind, options.journal))
                    stopped = True
        finished = True
    except asyncio.CancelledError:
        notes.append(_interrupted_note(options.journal))
        raise
    finally:
        if finished or tally.done:
            notes.extend(_notes(tally, options.journal))
            view.summary(tally, notes)
    return EXIT_OK if tally.failed == 0 and not stopped else EXIT_FAILED


def check_action(action: InvoiceAction) -> None:
    """Apply the rules an action has inside a request (e.g. it needs a target)."""
    try:
        ActionsRequest(actions=[action])
    except RequestValidationError as exc:
        field = exc.field.removeprefix("actions[0]").lstrip(".") or "action"
        raise RequestValidationError(field, exc.value, exc.reason) from None


def _describe(kind: Kind, line: int | None, result: BatchResult[Any, Any]) -> str:
    where = f"line {line}" if line is not None else f"item {result.index + 1}"
    what = f"invoice {result.key}" if kind == "invoices" and result.key is not None else kind[:-1]
    text = f"{where}: {what}: {describe_error(result.error) if result.error else 'failed'}"
    if result.outcome_unknown and not result.from_journal:
        text += " (outcome unknown: the server may have applied it)"
    return text


def _interrupted_note(journal: str | None) -> str:
    if journal is not None:
        return f"interrupted: run the same command with --journal {journal} to resume"
    return (
        "interrupted: without --journal a rerun sends every line again (invoices already "
        "stored are answered 409 and counted as already existing; actions would repeat)"
    )


def _journal_failed_note(error: JournalError, tally: Tally, kind: Kind, journal: str | None) -> str:
    rerun = (
        "looks each one up before sending it again"
        if kind == "invoices"
        else "reports those it had started as outcome unknown, never sending them twice"
    )
    return (
        f"stopped: {error}. {tally.unreported} item(s) taken from the input have no result here "
        f"(their requests may have been sent); a rerun with --journal {journal} {rerun}"
    )


def _notes(tally: Tally, journal: str | None) -> list[str]:
    notes = []
    if tally.circuit_open:
        notes.append(
            f"{tally.circuit_open} item(s) were not sent: the server looked down (too many "
            "failures in a row), so the rest was held back; a rerun sends them"
        )
    if tally.outcome_unknown:
        notes.append(
            f"{tally.outcome_unknown} item(s) have an unknown outcome: the server may have "
            "applied them; a rerun with the same --journal looks invoices up before sending"
        )
    if tally.malformed:
        notes.append(
            f"{tally.malformed} malformed line(s) were not sent (see their line numbers above): "
            "a rerun cannot fix them; correct the lines and rerun"
            + (f" with --journal {journal} (lines already done are skipped)" if journal else "")
        )
    if tally.failed_items and journal is not None:
        notes.append(
            f"{tally.failed_items} failed item(s) are tried again when you rerun with "
            f"--journal {journal} (items with a known outcome are skipped)"
        )
    return notes
