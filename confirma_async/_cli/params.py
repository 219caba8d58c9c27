"""Parameter types and helpers shared by the commands."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import date
from typing import IO, Any, Literal, TypeVar

import click
from click.core import ParameterSource

from .settings import Settings

DATE_METAVAR = "YYYY-MM-DD"
F = TypeVar("F", bound=Callable[..., Any])


def stack(*decorators: Callable[[Any], Any]) -> Callable[[F], F]:
    """One decorator applying ``decorators`` as if written above a command in this order."""

    def apply(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """Option callback: an ISO calendar date (``YYYY-MM-DD``) or ``None``."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def binary_stream(name: Literal["stdin", "stdout"]) -> IO[bytes]:
    """The binary layer of ``sys.stdin``/``sys.stdout`` (the text layer flushed first)."""
    stream = getattr(sys, name)
    if name == "stdout":
        stream.flush()
    buffer: IO[bytes] = stream.buffer
    return buffer


def settings_of(ctx: click.Context) -> Settings:
    """The group's :class:`Settings` (a default one when a command runs on its own)."""
    obj = ctx.find_object(Settings)
    return obj if obj is not None else Settings()


def given(ctx: click.Context, name: str) -> bool:
    """True when the option ``name`` came from the command line or the environment."""
    source = ctx.get_parameter_source(name)
    return source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def open_input(path: str) -> contextlib.AbstractContextManager[IO[bytes]]:
    """The JSONL input ``path`` opened for binary reading; ``-`` is stdin (left open)."""
    if path == "-":
        return contextlib.nullcontext(binary_stream("stdin"))
    return open(path, "rb")
