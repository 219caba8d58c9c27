"""Whether a request that may have been applied was sent: for callers that journal what they send.

A caller that must know, when it is stopped, whether the request it was waiting for may have been
applied (the batch's queued actions: such an action is never re-sent) opens a :func:`watching`
block around the call. The transport marks the watch before it sends a non-idempotent request and
clears it when the answer proves the request was not applied (a 4xx such as a 429 or a 401, a
connection that was never made). So a stop while the transport waits to retry after a 429 or
renews the token after a 401 leaves the watch clear: nothing was applied. The mark is set before
aiohttp is asked to send (it may still be connecting, or waiting for a pooled connection): a stop
then leaves the watch marked, on the safe side.

The watch is a mutable object in a context variable, so tasks started inside the block (which
copy the context) mark the same watch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["WATCH", "SendWatch", "watching"]


class SendWatch:
    """``possibly_applied``: a request was sent and no answer has proved it was not applied."""

    __slots__ = ("possibly_applied",)

    def __init__(self) -> None:
        self.possibly_applied = False


WATCH: ContextVar[SendWatch | None] = ContextVar("confirma_send_watch", default=None)
"""The watch of the innermost :func:`watching` block, if any."""


@contextmanager
def watching() -> Iterator[SendWatch]:
    """A fresh watch the transport marks for the non-idempotent requests sent inside the block."""
    watch = SendWatch()
    token = WATCH.set(watch)
    try:
        yield watch
    finally:
        WATCH.reset(token)
