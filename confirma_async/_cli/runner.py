"""Running a command's coroutine: exit codes, Ctrl-C, errors without secrets, ``-v`` logging.

Exit codes: 0 success, 1 a failure reported by the API or an item that failed, 2 a usage or
configuration error, 130 Ctrl-C (unless the command says an interruption is its normal end),
141 when the reader of stdout went away, 143 SIGTERM. SIGTERM (what a service manager or a
container runtime sends to stop a process) is handled as Ctrl-C is: the command's coroutine is
cancelled and cleans up (a journal's last lines, a job worker's claims handed back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, NoReturn

import click

from .. import JournalError
from ..errors import ConfigurationError, ConfirmaError, NotFoundError
from .settings import CliConfigError, Settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143

LIBRARY_LOGGER = "confirma_async"
API_PREFIX = "/api/v1/partner"
_RECORD_KEYS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}


def run(
    settings: Settings,
    work: Callable[[], Coroutine[Any, Any, int]],
    *,
    interrupted_code: int = EXIT_INTERRUPTED,
) -> NoReturn:
    """Run ``work()`` in a new event loop and exit with its code (see the module docstring).

    An API error is printed as one line (its message never holds the token; known secrets are
    scrubbed from it all the same) and exits 1; a configuration error exits 2; Ctrl-C cancels
    the coroutine (so it can clean up) and exits ``interrupted_code``; SIGTERM does the same and
    exits 143, or 0 when ``interrupted_code`` is 0 (an interruption is the command's normal end).
    """
    ctx = click.get_current_context()
    scrub = settings.secrets.scrub
    try:
        with verbose_logging(settings.verbose, scrub):
            code = asyncio.run(_stopped_by_sigterm(work))
    except KeyboardInterrupt:
        if interrupted_code != EXIT_OK:
            click.echo("confirma: interrupted", err=True)
        code = interrupted_code
    except (_Terminated, asyncio.CancelledError):  # the latter: SIGTERM as the work returned
        # A command whose normal end is an interruption (a watch) ends normally on SIGTERM too.
        code = EXIT_TERMINATED if interrupted_code != EXIT_OK else EXIT_OK
        if code != EXIT_OK:
            click.echo("confirma: terminated", err=True)
    except CliConfigError as exc:
        raise CliConfigError(scrub(exc.message)) from None
    except (ConfigurationError, JournalError) as exc:
        click.echo(f"Error: {scrub(str(exc))}", err=True)
        code = EXIT_USAGE
    except ConfirmaError as exc:
        click.echo(f"Error: {scrub(describe_error(exc))}{_hint(settings, exc)}", err=True)
        code = EXIT_FAILED
    except BrokenPipeError:
        _silence_stdout()
        code = EXIT_BROKEN_PIPE
    except Exception as exc:
        text = "".join(traceback.format_exception(exc))
        click.echo(f"confirma: unexpected error\n{scrub(text)}", err=True)
        code = EXIT_FAILED
    ctx.exit(code)


class _Terminated(Exception):
    """The command's coroutine was cancelled because the process got SIGTERM."""


async def _stopped_by_sigterm(work: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Run ``work()``; SIGTERM cancels it (as Ctrl-C does) and raises :class:`_Terminated`."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    assert task is not None
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        task.cancel()

    try:
        previous = signal.getsignal(signal.SIGTERM)
        loop.add_signal_handler(signal.SIGTERM, terminate)
    except (NotImplementedError, RuntimeError, ValueError):  # no signals here (Windows, a thread)
        return await work()
    try:
        return await work()
    except asyncio.CancelledError:
        if terminated:
            raise _Terminated from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, previous)  # the embedding program's, if it had one


def _hint(settings: Settings, exc: ConfirmaError) -> str:
    """A hint for a 404 from a base URL without the API's path prefix (a common slip)."""
    base = (settings.base_url or "").rstrip("/")
    if isinstance(exc, NotFoundError) and base and not base.endswith(API_PREFIX):
        return (
            f"\nHint: the base URL {base} does not end with {API_PREFIX}; the API lives under "
            f"it (e.g. --base-url {base}{API_PREFIX})"
        )
    return ""


def describe_error(exc: BaseException) -> str:
    """``exc`` as one line: its class name, message and the notes of it and of its causes.

    A note says what else went wrong (e.g. that renewing the token failed after a 401); neither
    messages nor notes hold a token.
    """
    text = str(exc) or "(no message)"
    notes: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(notes) < 5:
        notes += [n for n in getattr(current, "__notes__", ()) if n not in notes]
        current = current.__cause__
    return "; ".join([f"{type(exc).__name__}: {text}", *notes])


@contextlib.contextmanager
def verbose_logging(level: int, scrub: Callable[[str], str]) -> Iterator[None]:
    """With ``-v`` (INFO) or ``-vv`` (DEBUG), send the library's log events to stderr."""
    if level <= 0:
        yield
        return
    logger = logging.getLogger(LIBRARY_LOGGER)
    handler = _StderrHandler()
    handler.setFormatter(_EventFormatter(scrub))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if level > 1 else logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (above a progress bar while one runs)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        """The current ``sys.stderr``."""
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always the current sys.stderr


class _EventFormatter(logging.Formatter):
    """``time LEVEL event key=value ...``: structlog fields arrive as LogRecord attributes."""

    def __init__(self, scrub: Callable[[str], str]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self._scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = " ".join(
            f"{key}={value}" for key, value in record.__dict__.items() if key not in _RECORD_KEYS
        )
        return self._scrub(f"{text} {fields}" if fields else text)


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
