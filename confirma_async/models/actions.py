"""Invoice action models (``POST /invoice/action``, assumption A9).

Request strings hold no control characters and no bidirectional overrides; ``comment`` is free
text, where tab, CR and LF are allowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from ..errors import RequestValidationError
from . import _validate as v
from ._fields import extra_field, free_text, guessed, raw_body_field, rules, wire
from ._open_enum import OpenStrEnum

__all__ = [
    "ActionCode",
    "ActionData",
    "ActionsQueued",
    "ActionsRequest",
    "InvoiceAction",
    "QueuedAction",
]


class ActionCode(OpenStrEnum):
    """What an action does (open set; ``COMMENT`` is documented, the rest are assumption A9)."""

    COMMENT = "COMMENT"
    EXTEND_DUE_DATE = "EXTEND_DUE_DATE"
    WITHDRAW_CASE = "WITHDRAW_CASE"
    DIRECT_PAYMENT = "DIRECT_PAYMENT"
    OBJECTION = "OBJECTION"


@attrs.frozen(kw_only=True, slots=True)
class ActionData:
    """``actions[].data``: the target (invoice number and/or case id) and action parameters.

    At least one of ``invoice_number`` and ``case_id`` is required. The action parameters
    (``newDueDate``, ``amount``, ``paymentDate``) are assumption A9 and left out when ``None``.
    """

    invoice_number: int | None = attrs.field(
        default=None, metadata=rules(v.positive_int, nullable=True)
    )
    case_id: int | None = attrs.field(default=None, metadata=rules(v.positive_int, nullable=True))
    new_due_date: dt.date | None = attrs.field(
        default=None, metadata={**rules(v.iso_date, nullable=True), **wire(omit_none=True)}
    )
    amount: Decimal | None = attrs.field(
        default=None, metadata={**rules(v.amount, nullable=True), **wire(omit_none=True)}
    )
    payment_date: dt.date | None = attrs.field(
        default=None, metadata={**rules(v.iso_date, nullable=True), **wire(omit_none=True)}
    )
    extra: Mapping[str, Any] = extra_field()

    def _check_request(self, path: str) -> None:
        if self.invoice_number is None and self.case_id is None:
            raise RequestValidationError(
                path or "data", None, "an action needs invoiceNumber or caseId"
            )


@attrs.frozen(kw_only=True, slots=True)
class InvoiceAction:
    """One action against an invoice or agency case; ``comment`` is free text (tab, CR, LF)."""

    code: ActionCode
    comment: str | None = attrs.field(default=None, metadata=free_text())
    data: ActionData
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class ActionsRequest:
    """Body of ``POST /invoice/action``: one or more actions; validated when constructed."""

    actions: list[InvoiceAction] = attrs.field(metadata=rules(v.non_empty))
    extra: Mapping[str, Any] = extra_field()

    def __attrs_post_init__(self) -> None:
        v.validate_request(self)


@attrs.frozen(kw_only=True, slots=True)
class QueuedAction:
    """One queued action in the answer to ``POST /invoice/action`` (assumption A9: all optional)."""

    index: int | None = attrs.field(default=None, metadata=guessed("A9"))
    code: ActionCode | None = attrs.field(default=None, metadata=guessed("A9"))
    status: str | None = attrs.field(default=None, metadata=guessed("A9"))
    action_id: str | None = attrs.field(default=None, metadata=guessed("A9"))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class ActionsQueued:
    """Answer to ``POST /invoice/action``: the actions were queued (any 2xx answer).

    ``actions`` lists them in request order as the server describes them (A9; empty when the answer
    has no such list); ``raw_body`` holds the answer exactly as received.
    """

    actions: list[QueuedAction] = attrs.field(factory=list, metadata=guessed("A9"))
    extra: Mapping[str, Any] = extra_field()
    raw_body: bytes = raw_body_field()
