"""Submitting invoice actions in bulk: one ``ActionsRequest`` of one action per item.

Actions have no lookup, so an unknown outcome cannot be reconciled: such an action is ``FAILED``
with ``outcome_unknown`` and never re-sent (not even by a later run with the same journal). Only a
failure proving nothing was queued (429, a refused connection) is re-sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from ..errors import ConfirmaError, RequestValidationError
from ..models.actions import ActionsRequest, InvoiceAction, QueuedAction
from .jobs import Context, Prepared, Run, as_model, from_journal, invalid, may_resend
from .results import BatchKey, BatchResult, BatchStatus

T = TypeVar("T")

ActionKeyFunc = Callable[[InvoiceAction], BatchKey]
"""Gives an action its caller-chosen key (``int`` or ``str``, stable across runs)."""


def default_action_key(index: int, action: InvoiceAction) -> str:
    """``CODE/invoice=N/#i`` or ``CODE/case=N/#i``: code, target and position in the input."""
    data = action.data
    target = (
        f"invoice={data.invoice_number}"
        if data.invoice_number is not None
        else f"case={data.case_id}"
    )
    code = getattr(action.code, "value", action.code)
    return f"{code}/{target}/#{index}"


class ActionJobs(Generic[T]):
    """Submits actions, one ``ActionsRequest`` per action; keyed by ``key`` or by default."""

    kind = "action"

    def __init__(self, ctx: Context, key: ActionKeyFunc | None) -> None:
        self._ctx = ctx
        self._key = key

    def prepare(self, index: int, item: T) -> Prepared[T, QueuedAction]:
        """A finished result (invalid, or known per the journal) or the coroutine that sends."""
        try:
            action = as_model(item, InvoiceAction, "action")
            request = ActionsRequest(actions=[action])
            key = self._key_of(index, action)
        except Exception as exc:  # one bad item never stops the batch
            return invalid(item, index, None, exc)
        journal = self._ctx.journal
        entry = journal.get(self.kind, key) if journal is not None else None
        if entry is not None and (entry.done or entry.maybe_sent):
            return from_journal(item, index, key, entry)
        run: Run[T, QueuedAction] = Run(self._ctx, self.kind, index, item, key)
        return run.guard(self._submit, run, request)

    def _key_of(self, index: int, action: InvoiceAction) -> BatchKey:
        if self._key is None:
            return default_action_key(index, action)
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
        while run.next_attempt():
            try:
                queued = await ctx.call(ctx.invoices.create_actions, request)
            except ConfirmaError as exc:
                error = exc
                if may_resend(exc):
                    continue
                return run.done(BatchStatus.FAILED, error=exc, unknown=exc.outcome_unknown)
            return run.done(
                BatchStatus.CREATED, response=queued.actions[0] if queued.actions else None
            )
        return run.done(BatchStatus.FAILED, error=error)
