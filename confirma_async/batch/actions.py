"""Submitting invoice actions in bulk: one ``ActionsRequest`` of one action per item.

Actions have no lookup, so an unknown outcome cannot be reconciled: such an action is ``FAILED``
with ``outcome_unknown`` and never re-sent (not even by a later run with the same journal). Only a
failure proving nothing was queued (429, a refused connection) is re-sent. A run stopped while no
request of an action may have been applied (waiting for its turn under ``rate``, waiting to retry
a 429, renewing the token after a 401) journals it as not sent, so the next run sends it
(``_core.sends``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

from .._core.sends import watching
from ..errors import ConfirmaError, JournalError, RequestValidationError
from ..models.actions import ActionsRequest, InvoiceAction, QueuedAction
from .jobs import (
    Context,
    Prepared,
    Run,
    as_model,
    content_of,
    from_journal,
    invalid,
    may_resend,
)
from .results import BatchKey, BatchResult, BatchStatus

T = TypeVar("T")

ActionKeyFunc = Callable[[InvoiceAction], BatchKey]
"""Gives an action its caller-chosen key (``int`` or ``str``, stable across runs)."""


def default_action_key(action: InvoiceAction, occurrence: int = 1) -> str:
    """``CODE/invoice=N/<hash>`` (or ``case=N``): the action's code, target and content.

    Keyed by what the action says, not where it stands in the input, so inserting a line does not
    change the keys of the others; the ``occurrence``-th identical action in one input gets
    ``#occurrence`` appended (from the second on).
    """
    key = _default_key(action, content_of(action))
    return key if occurrence == 1 else f"{key}#{occurrence}"


def _default_key(action: InvoiceAction, content: int) -> str:
    data = action.data
    target = (
        f"invoice={data.invoice_number}"
        if data.invoice_number is not None
        else f"case={data.case_id}"
    )
    code = getattr(action.code, "value", action.code)
    return f"{code}/{target}/{content:016x}"


def _changed(key: BatchKey) -> JournalError:
    return JournalError(
        f"action {key!r}: the journal recorded other content for this key (it was sent with "
        "other fields); not sent again. Use another key or journal, or "
        "accept_journal_mismatch=True to go by what the journal recorded"
    )


class ActionJobs(Generic[T]):
    """Submits actions, one ``ActionsRequest`` per action; keyed by ``key`` or by default."""

    kind = "action"

    def __init__(self, ctx: Context, key: ActionKeyFunc | None) -> None:
        self._ctx = ctx
        self._key = key
        self._seen: dict[str, int] = {}  # identical actions so far (with a journal), by key

    def prepare(self, index: int, item: T) -> Prepared[T, QueuedAction]:
        """A finished result (invalid, or known per the journal) or the coroutine that sends."""
        journal = self._ctx.journal
        try:
            action = as_model(item, InvoiceAction, "action")
            request = ActionsRequest(actions=[action])
            content = None if journal is None else content_of(action)
            key = self._key_of(index, action, content)
        except Exception as exc:  # one bad item never stops the batch
            return invalid(item, index, None, exc)
        entry = journal.get(self.kind, key) if journal is not None else None
        if (
            entry is not None
            and self._ctx.strict_journal
            and entry.content not in (None, 0, content)
        ):
            return invalid(item, index, key, _changed(key))
        if entry is not None and (entry.done or entry.maybe_sent):
            self._ctx.log.info(
                "confirma_batch_skip",
                invoice_number=action.data.invoice_number,
                action=key,
                journal=entry.status,
            )
            return from_journal(item, index, key, entry)
        if (held := self._ctx.held()) is not None:
            return invalid(item, index, key, held)
        run: Run[T, QueuedAction] = Run(self._ctx, self.kind, index, item, key, content=content)
        return run.guard(self._submit, run, request)

    def _key_of(self, index: int, action: InvoiceAction, content: int | None) -> BatchKey:
        if self._key is None:
            first = _default_key(action, content or content_of(action))
            if self._ctx.journal is None:  # keys only need to be unique for the journal
                return first
            occurrence = self._seen[first] = self._seen.get(first, 0) + 1
            return first if occurrence == 1 else f"{first}#{occurrence}"
        try:
            key = self._key(action)
        except Exception as exc:
            raise RequestValidationError("key", None, f"the key function failed: {exc!r}") from exc
        if isinstance(key, bool) or not isinstance(key, int | str):
            raise RequestValidationError("key", key, "the key function must return an int or str")
        return key

    async def _submit(
        self, run: Run[T, QueuedAction], request: ActionsRequest
    ) -> BatchResult[T, QueuedAction]:
        ctx = self._ctx
        error: ConfirmaError | None = None
        while run.attempts < ctx.max_attempts:
            if run.attempts:  # a re-send: the failure lasted past the transport's retries
                ctx.log.info(
                    "confirma_batch_resend",
                    invoice_number=request.actions[0].data.invoice_number,
                    action=run.key,
                    attempt=run.attempts + 1,
                    error_type=type(error).__name__,
                )
                await ctx.pacing.pause(run.attempts + 1, error)
            if (held := run.start_attempt()) is not None:
                return run.done(BatchStatus.FAILED, error=held)
            try:
                with watching() as watch:
                    queued = await ctx.call(ctx.invoices.create_actions, request)
            except asyncio.CancelledError:
                if not watch.possibly_applied:  # stopped in a pause, a renewal: not sent
                    run.refused_before_resend(None)
                raise
            except ConfirmaError as exc:
                error = exc
                ctx.record(exc)
                if may_resend(exc):
                    if run.attempts < ctx.max_attempts:
                        run.refused_before_resend(exc)  # a stop during the pause: not in doubt
                    continue
                return run.done(BatchStatus.FAILED, error=exc, unknown=exc.outcome_unknown)
            ctx.record(None)
            return run.done(
                BatchStatus.CREATED, response=queued.actions[0] if queued.actions else None
            )
        return run.done(BatchStatus.FAILED, error=error)
