"""OpenTelemetry spans of the transport: imported only when a client is made with ``tracing=``.

Spans (all from the tracer ``confirma_async``):

- one per logical call (a resource method's request; kind INTERNAL), named after the operation
  (``invoices.create``, ``invoices.distribution_window`` ...), with ``confirma.operation``,
  ``http.request.method``, ``server.address``, ``confirma.invoice_number`` and ``confirma.window``
  when the call has them, and ``confirma.outcome_unknown`` when it ends;
- under it, one per attempt (kind CLIENT, named ``GET``/``POST``... as the HTTP semantic
  conventions say), with ``http.request.method``, ``url.full`` (query included, never a
  credential: the key travels in a header), ``url.scheme``, ``server.address``, ``server.port``,
  ``http.request.resend_count`` on a re-send, ``http.response.status_code`` and ``error.type``;
- ``confirma.tokens.renew`` / ``confirma.tokens.validate`` around the token manager's own
  requests (under the call that needed the renewal), and ``confirma.batch.lookup`` around a bulk
  job's reconciliation lookups.

Nothing here ever reads the token: headers are not recorded at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Tracer

from .._core import wire as _wire
from .._core.retrying import Retryable
from ..config import __version__
from ..errors import ConfigurationError, ConfirmaError
from ._call import Call
from ._transport import Transport

__all__ = ["TracedTransport", "resolve_tracer"]

TRACER_NAME = "confirma_async"

_OPERATIONS = {
    ("POST", _wire.PATH_CLIENT): "onboarding.create_client",
    ("GET", _wire.PATH_VALIDATE): "tokens.validate",
    ("GET", _wire.PATH_RENEW): "tokens.renew",
    ("POST", _wire.PATH_INVOICE): "invoices.create",
    ("POST", _wire.PATH_INVOICE_ACTION): "invoices.create_actions",
    ("GET", _wire.PATH_INVOICE_CASE): "invoices.case",
    ("GET", _wire.PATH_INVOICE_DISTRIBUTION): "invoices.distribution_window",
    ("GET", _wire.PATH_PAYMENTS): "payments.payments_window",
    ("GET", _wire.PATH_SETTLEMENTS): "payments.settlements_window",
    ("POST", _wire.PATH_ACCOUNTING_LEDGER): "accounting.submit_ledger",
    ("GET", _wire.PATH_ACCOUNTING_LEDGER): "accounting.ledger_status",
    ("POST", _wire.PATH_ACCOUNTING_PAYMENT): "accounting.submit_payments",
    ("GET", _wire.PATH_ACCOUNTING_PAYMENT): "accounting.payment_status",
    ("GET", _wire.PATH_ACCOUNTING_INVOICE): "accounting.invoice_status",
}
_WINDOWS = (
    (_wire.Q_FROM_INV_DATE, _wire.Q_TO_INV_DATE),
    (_wire.Q_FROM_DATE, _wire.Q_TO_DATE),
)


def resolve_tracer(tracing: object) -> Tracer:
    """``True``: the global tracer provider's tracer; a ``TracerProvider``: its tracer."""
    if tracing is True:
        return trace.get_tracer(TRACER_NAME, __version__)
    get_tracer = getattr(tracing, "get_tracer", None)
    if callable(get_tracer):
        tracer: Tracer = get_tracer(TRACER_NAME, __version__)
        return tracer
    raise ConfigurationError("tracing", tracing, "must be True, False or a TracerProvider")


class TracedTransport(Transport):
    """The transport with spans around calls and attempts (see the module doc)."""

    def __init__(self, *, tracer: Tracer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._tracer = tracer

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`Transport.request` inside a span for the logical call."""
        operation = _OPERATIONS.get((method, path), f"{method} {path}")
        attributes: dict[str, Any] = {
            "confirma.operation": operation,
            "http.request.method": method,
            "server.address": self._url(path).host or "",
        }
        attributes.update(_call_attributes(path, kwargs))
        with self._tracer.start_as_current_span(
            operation, kind=SpanKind.INTERNAL, attributes=attributes
        ) as span:
            try:
                result = await super().request(method, path, **kwargs)
            except ConfirmaError as exc:
                span.set_attribute("confirma.outcome_unknown", exc.outcome_unknown)
                span.set_attribute("error.type", type(exc).__name__)
                raise
            span.set_attribute("confirma.outcome_unknown", False)
            return result

    async def send_once(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        """:meth:`Transport.send_once` (the token manager's requests) inside a span."""
        name = "confirma.tokens.renew" if path == _wire.PATH_RENEW else "confirma.tokens.validate"
        with self._tracer.start_as_current_span(name, kind=SpanKind.INTERNAL):
            return await super().send_once(method, path, token, **kwargs)

    async def _attempt(self, call: Call) -> Any:
        url = call.url if not call.params else call.url.update_query(call.params)
        attributes: dict[str, Any] = {
            "http.request.method": call.method,
            "url.full": str(url.with_user(None).with_password(None).with_fragment(None)),
            "url.scheme": url.scheme,
            "server.address": url.host or "",
        }
        if url.port is not None:
            attributes["server.port"] = url.port
        if call.attempts:  # this attempt re-sends the request
            attributes["http.request.resend_count"] = call.attempts
        with self._tracer.start_as_current_span(
            call.method, kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            call.response = None
            try:
                return await super()._attempt(call)
            except (Retryable, ConfirmaError) as exc:
                error = exc.error if isinstance(exc, Retryable) else exc
                span.set_attribute("error.type", type(error).__name__)
                span.set_attribute("confirma.outcome_unknown", error.outcome_unknown)
                raise
            finally:
                if call.response is not None:
                    span.set_attribute("http.response.status_code", call.response.status)

    def span(
        self, name: str, attributes: Mapping[str, Any]
    ) -> contextlib.AbstractContextManager[Any]:
        """A span of the client's own (the batch's lookups), current inside the ``with``."""
        return _current_span(self._tracer, name, attributes)


@contextlib.contextmanager
def _current_span(tracer: Tracer, name: str, attributes: Mapping[str, Any]) -> Iterator[Any]:
    with tracer.start_as_current_span(name, kind=SpanKind.INTERNAL, attributes=attributes) as span:
        yield span


def _call_attributes(path: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``confirma.invoice_number`` and ``confirma.window`` of a call, when it has them."""
    found: dict[str, Any] = {}
    params = kwargs.get("params") or {}
    number: Any = params.get(_wire.Q_INVOICE_NUMBER)
    if number is None and path == _wire.PATH_INVOICE:
        number = _invoice_number(kwargs.get("json"), kwargs.get("encoded"))
    if number is not None:
        found["confirma.invoice_number"] = str(number)
    for start, end in _WINDOWS:
        if start in params and end in params:
            found["confirma.window"] = f"{params[start]}/{params[end]}"
    return found


def _invoice_number(data: Any, encoded: bytes | None) -> Any:
    if data is None and encoded is not None:
        try:
            data = orjson.loads(encoded)
        except orjson.JSONDecodeError:
            return None
    invoice = data.get("invoice") if isinstance(data, Mapping) else None
    header = invoice.get("header") if isinstance(invoice, Mapping) else None
    return header.get("number") if isinstance(header, Mapping) else None
