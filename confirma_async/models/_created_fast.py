"""A fast decoder for the answer to ``POST /invoice``, the bulk upload's hot path.

The answer is undocumented (A7) and small: ``{"invoiceNumber": 1, "status": "RECEIVED",
"receivedAt": "2026-01-05T09:00:00.000Z"}`` in the sandbox. :func:`decode_created` reads that
well-formed case straight from the bytes (orjson, which is exact here: only integers and strings
are taken) into the same :class:`InvoiceCreated` the general path builds. Anything else (another
key, another type, a number orjson reads as a float, runtime wire aliases for the class, bytes
that are not JSON) returns ``None``, and the caller decodes the answer the general way, with its
lenient rules and its warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import orjson

from .._core.slots import slot_builder
from ._aliases import WireAliases
from ._fields import wire_name
from .invoices import InvoiceCreated

__all__ = ["decode_created"]

_NUMBER, _STATUS, _RECEIVED = (
    wire_name(attrs.fields(InvoiceCreated).invoice_number),
    wire_name(attrs.fields(InvoiceCreated).status),
    wire_name(attrs.fields(InvoiceCreated).received_at),
)
_KNOWN = frozenset({_NUMBER, _STATUS, _RECEIVED})
_parse = datetime.fromisoformat


def decode_created(raw: bytes, aliases: WireAliases | None) -> InvoiceCreated | None:
    """``raw`` as the :class:`InvoiceCreated` the general path would build, or ``None``."""
    if aliases is not None and aliases.pairs(InvoiceCreated):
        return None
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or not data.keys() <= _KNOWN:
        return None
    number, status, received = data.get(_NUMBER), data.get(_STATUS), data.get(_RECEIVED)
    if (number is not None and type(number) is not int) or (
        status is not None and type(status) is not str
    ):
        return None
    if received is not None:
        if type(received) is not str:
            return None
        try:
            received = _parse(received)
        except ValueError:
            return None
        if received.tzinfo is None:
            received = received.replace(tzinfo=UTC)
    return _build(number, status, received, {}, raw)


def _by_init(
    number: int | None, status: str | None, received: datetime | None, extra: Any, raw: bytes
) -> InvoiceCreated:
    return InvoiceCreated(
        invoice_number=number, status=status, received_at=received, extra=extra, raw_body=raw
    )


# One answer per invoice of a bulk upload: its slots are filled directly (see _core.slots).
_FIELDS = ("invoice_number", "status", "received_at", "extra", "raw_body")
_build: Callable[..., InvoiceCreated] = slot_builder(InvoiceCreated, _FIELDS) or _by_init
