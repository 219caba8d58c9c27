"""``confirma jobs``: bulk jobs on PostgreSQL, worked by any number of processes on any host.

``load`` stores a JSONL file as a job and prints its id; ``work`` runs one worker (start as many
as you like, anywhere); ``status`` (``--watch``) shows live counts, rate, ETA and failures by
reason; ``results`` writes every item's outcome as JSONL or CSV; ``retry-failed`` puts failed
items back; ``migrate`` creates or upgrades the tables. ``--store`` (or ``CONFIRMA_JOBS_STORE``)
is a ``postgresql://`` URL. Exit codes as for ``confirma submit``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import IO, Any, TypeVar

import click

from .. import BulkJob, ConfigurationError, JobStore, JournalError
from .params import binary_stream, settings_of
from .runner import EXIT_FAILED, EXIT_OK, run
from .settings import CliConfigError

F = TypeVar("F", bound=Callable[..., Any])


def store_option(command: F) -> F:
    """Add ``--store`` to ``command``."""
    return click.option(
        "--store",
        envvar="CONFIRMA_JOBS_STORE",
        required=True,
        metavar="postgresql://...",
        help="The PostgreSQL database holding the jobs (default: $CONFIRMA_JOBS_STORE).",
    )(command)


def _shown(dsn: str) -> str:
    """``dsn`` without its user and password."""
    scheme, _, rest = dsn.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}" if rest else dsn


@contextlib.asynccontextmanager
async def open_store(dsn: str, *, migrate: bool = True) -> AsyncIterator[JobStore]:
    """The store at ``dsn``; a database that cannot be reached is a configuration error."""
    try:
        store = await JobStore.connect(dsn, migrate=migrate)
    except ConfigurationError:
        raise
    except Exception as exc:  # asyncpg's errors, refused connections, unknown databases
        raise CliConfigError(f"cannot use the job store {_shown(dsn)}: {exc}") from None
    async with store:
        yield store


def _reader(path: str) -> contextlib.AbstractContextManager[IO[bytes]]:
    return open(path, "rb")  # read line by line while the rows stream into the database


async def _job(store: JobStore, job_id: int) -> BulkJob:
    try:
        return await store.job(job_id)
    except ConfigurationError:
        raise CliConfigError(f"no job {job_id} in this store") from None


@click.group("jobs")
def jobs_group() -> None:
    """Bulk jobs on PostgreSQL, worked by any number of processes on any number of hosts."""


@jobs_group.command("migrate")
@store_option
@click.pass_context
def migrate_command(ctx: click.Context, /, store: str) -> None:
    """Create or upgrade the job tables (versioned; workers also do it when they start)."""

    async def work() -> int:
        async with open_store(store, migrate=False) as jobs:
            version = await jobs.migrate()
        click.echo(f"job store schema at version {version}")
        return EXIT_OK

    run(settings_of(ctx), work)


@jobs_group.command("load")
@click.argument("path", metavar="FILE.jsonl", type=click.Path(dir_okay=False, exists=True))
@store_option
@click.option("--actions", is_flag=True, help="The file holds invoice actions, not invoices.")
@click.option("--name", help="A name for the job (shown by status).")
@click.pass_context
def load_command(
    ctx: click.Context, /, path: str, store: str, actions: bool, name: str | None
) -> None:
    """Store FILE.jsonl (one wire-format object a line) as a new job; print its id.

    Blank lines are skipped; a line that is not a JSON object, or a key (invoice number, action)
    repeated in the file, is stored as failed and never sent.
    """

    async def work() -> int:
        async with open_store(store) as jobs:
            with _reader(path) as lines:
                job = await jobs.load(lines, kind="action" if actions else "invoice", name=name)
            status = await job.status()
        click.echo(job.id)
        click.echo(f"job {job.id}: {status.total} items, {status.failed} failed at load", err=True)
        return EXIT_OK

    run(settings_of(ctx), work)


@jobs_group.command("work")
@click.argument("job_id", metavar="JOB", type=int)
@store_option
@click.option("--concurrency", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--claim-size", type=click.IntRange(min=1), default=256, show_default=True)
@click.option(
    "--lease",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds a claim lasts without renewal (renewed every quarter of it).",
)
@click.option("--max-attempts", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--progress/--no-progress", default=None, help="Show a live progress bar.")
@click.pass_context
def work_command(ctx: click.Context, /, job_id: int, store: str, **options: Any) -> None:
    """Work on JOB until no item is left for this worker (run as many as you like).

    Exit code 0 when every item this worker finished succeeded, 1 when some failed or the worker
    lost its lease (what it held passes to the other workers), 2 configuration error, 130 Ctrl-C
    (items it never sent go back to the job; those in flight are possibly sent: an invoice is
    looked up by whichever worker takes it next, an action fails with an unknown outcome).
    """
    settings = settings_of(ctx)
    run(settings, lambda: _work(settings, job_id, store, **options))


async def _work(
    settings: Any,
    job_id: int,
    store: str,
    *,
    concurrency: int,
    claim_size: int,
    lease: float,
    max_attempts: int,
    progress: bool | None,
) -> int:
    from .progress import SubmitView
    from .tally import Tally

    client = settings.client()
    tally = Tally()
    view = SubmitView(title=f"job {job_id}: this worker", total=None, live=progress)
    notes: list[str] = []
    code = EXIT_OK
    async with open_store(store) as jobs:
        job = await _job(jobs, job_id)

        def seen(result: Any) -> None:
            tally.add(result)
            view.update(tally)

        try:
            async with client:
                with view:
                    await job.work(
                        client,
                        concurrency=concurrency,
                        claim_size=claim_size,
                        lease=lease,
                        max_attempts=max_attempts,
                        on_result=seen,
                    )
        except JournalError as exc:
            if not tally.total:
                raise  # before anything was sent: a configuration error (exit 2)
            notes.append(f"stopped: {exc}")
            code = EXIT_FAILED
        except asyncio.CancelledError:
            notes.append("interrupted: what it never sent is back in the job; the rest passes on")
            view.summary(tally, notes)
            raise
        status = await job.status()
    notes.append(f"job {job_id}: {status.done} of {status.total} items done")
    view.summary(tally, notes)
    return code if tally.failed == 0 else EXIT_FAILED


@jobs_group.command("status")
@click.argument("job_id", metavar="JOB", type=int)
@store_option
@click.option("--watch", is_flag=True, help="Follow the job with a progress bar until it ends.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Seconds between two looks with --watch.",
)
@click.pass_context
def status_command(
    ctx: click.Context, /, job_id: int, store: str, watch: bool, interval: float
) -> None:
    """Show JOB's counts, rate, ETA and failures by reason (--watch: live, until it ends)."""
    from .jobs_view import WatchView, print_status

    async def work() -> int:
        async with open_store(store) as jobs:
            job = await _job(jobs, job_id)
            status = await job.status()
            if watch:
                with WatchView(status) as view:
                    while True:
                        view.update(status)
                        if status.finished:
                            break
                        await asyncio.sleep(interval)
                        status = await job.status()
            print_status(status)
        return EXIT_OK

    run(settings_of(ctx), work, interrupted_code=EXIT_OK)


@jobs_group.command("results")
@click.argument("job_id", metavar="JOB", type=int)
@store_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--failed", "only_failed", is_flag=True, help="Only the failed items.")
@click.pass_context
def results_command(
    ctx: click.Context, /, job_id: int, store: str, fmt: str, only_failed: bool
) -> None:
    """Write every item's outcome of JOB to stdout, in input order (JSONL or CSV)."""
    from .jobs_view import write_results

    async def work() -> int:
        async with open_store(store) as jobs:
            job = await _job(jobs, job_id)
            await write_results(job.results(), binary_stream("stdout"), fmt, only_failed)
        return EXIT_OK

    run(settings_of(ctx), work)


@jobs_group.command("retry-failed")
@click.argument("job_id", metavar="JOB", type=int)
@store_option
@click.pass_context
def retry_failed_command(ctx: click.Context, /, job_id: int, store: str) -> None:
    """Put JOB's failed items back to pending; run workers again to send them.

    Items whose outcome is unknown are looked up before anything is re-sent (actions never are);
    items failed at load (malformed, repeated) stay failed.
    """

    async def work() -> int:
        async with open_store(store) as jobs:
            count = await (await _job(jobs, job_id)).retry_failed()
        click.echo(f"job {job_id}: {count} failed item(s) back to pending")
        return EXIT_OK

    run(settings_of(ctx), work)
