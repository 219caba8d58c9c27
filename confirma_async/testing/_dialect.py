"""The alternate dialect: every guessed response shape spelt otherwise, every documented fact kept.

``SandboxConfig(dialect="alternate")`` makes the sandbox answer like an API that chose otherwise
wherever ``docs/api-assumptions.md`` had to guess: other names for undocumented keys, unknown extra
keys, other bodies for the POST answers, 200 with an empty list instead of an undocumented 204,
RFC 7807 error bodies and an ``X-Correlation-Id`` header. Documented keys, values, status codes,
query parameters and request validation stay as they are.

The app applies one :class:`Rewriter` to each API response after the handler and fault injection.
The reference dialect has no rewriter at all (:func:`rewriter` returns ``None``), so its answers and
its hot path are untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .._core import wire as _wire
from .._core.json import dumps, loads
from ._http import JSON_TYPE

if TYPE_CHECKING:
    from ._config import SandboxConfig

Derive = Callable[[Mapping[str, Any], "SandboxConfig"], Any]
"""Computes an added key from the reference object and the sandbox configuration."""


@dataclass(frozen=True, kw_only=True)
class ObjectRules:
    """How one JSON object (or each object of a list) is respelt. Keys are the reference names."""

    rename: Mapping[str, str] = field(default_factory=dict)
    """Reference key to alternate key; the key keeps its position."""
    drop: frozenset[str] = frozenset()
    """Keys left out."""
    convert: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    """Conversions of values."""
    inner: Mapping[str, ObjectRules] = field(default_factory=dict)
    """Rules for a nested object, or for each object of a nested list."""
    add: Mapping[str, Any] = field(default_factory=dict)
    """Constant keys appended."""
    derive: Mapping[str, Derive] = field(default_factory=dict)
    """Keys appended, computed from the reference object and the configuration."""


@dataclass(frozen=True, kw_only=True)
class EndpointRules:
    """How one endpoint answers success (2xx) in a dialect."""

    body: ObjectRules | None = None
    """Respelling of the JSON body (``None``: the body is kept, or replaced by ``text``)."""
    unwrap: str | None = None
    """Answer only the value under this key of the respelt body."""
    text: str | None = None
    """Plain text answered instead of the JSON body; ``""`` answers no body at all."""
    when_empty: Any = None
    """JSON answered with 200 where the reference answers 204 (``None``: 204 stays)."""


@dataclass(frozen=True, kw_only=True)
class Dialect:
    """A sandbox dialect: per-endpoint answers, the error format and the request-id header.

    Errors (every non-2xx JSON error body) are answered RFC 7807 style: ``{"type": "about:blank",
    "title": <code>, "detail": <message>, "status": <status>, "errors": {<field>: [<message>]}}``.
    """

    endpoints: Mapping[str, EndpointRules]
    """By ``"METHOD /path"``, the path after ``/api/v1/partner``."""
    request_id_header: str
    """The response header carrying the request id."""
    error_content_type: str
    """The ``Content-Type`` of error answers."""


def _date_only(value: Any) -> Any:
    """A UTC timestamp written as its date; ``None`` stays ``None``."""
    return value[:10] if isinstance(value, str) else value


def _queued(id_key: str) -> ObjectRules:
    """An A14/A16 receipt ``{"sourceIdentifier", "status": 0, "description"}`` as a queue state."""
    return ObjectRules(
        rename={"sourceIdentifier": id_key},
        drop=frozenset({"status", "description"}),
        add={"state": "QUEUED"},
    )


_TARGET = ObjectRules(add={"targetSystem": "NETVISOR"})
_DISTRIBUTION_META = ObjectRules(
    inner={"filtersApplied": ObjectRules(rename={"defaultLast30Days": "defaultLast30DaysApplied"})},
    derive={"pageSize": lambda _, config: config.max_records_per_response},
)
_DISTRIBUTION_RECORD = ObjectRules(
    rename={
        "invoiceNumber": "invoiceNo",
        "invoiceDate": "invoiceDay",
        "caseId": "agencyCaseId",
        "distributionMethod": "channel",
        "distributionStatus": "deliveryState",
        "paymentControlStatus": "paymentControlState",
        "createdAt": "created",
        "updatedAt": "lastModified",
        "deliveredAt": "deliveryTime",
    },
    add={"source": "CFIS-ALT"},
)
_ACCOUNTING_INVOICE = ObjectRules(
    rename={
        "sourceIdentifier": "identifier",
        "invoiceNumber": "invoiceNo",
        "invoiceDate": "invoiceDay",
        "syncDate": "syncedOn",
        "status": "syncStatus",
        "description": "statusText",
    }
)
_CASE = ObjectRules(
    rename={"payments": "paymentHistory", "events": "timeline"},
    inner={
        "summary": ObjectRules(
            derive={"caseReference": lambda summary, _: f"C-{summary['caseId']}"}
        ),
        "balance": ObjectRules(
            rename={"costsAmount": "costsAmountOpen", "totalAmount": "openAmount"}
        ),
        "payments": ObjectRules(
            rename={"paymentDate": "date", "amount": "sum", "reference": "ref"}
        ),
        "events": ObjectRules(
            rename={"eventDate": "timestamp", "type": "eventType", "description": "text"}
        ),
    },
)

ALTERNATE_DIALECT = Dialect(
    request_id_header="X-Correlation-Id",
    error_content_type="application/problem+json",
    endpoints={
        "GET " + _wire.PATH_INVOICE_DISTRIBUTION: EndpointRules(
            body=ObjectRules(
                rename={_wire.DISTRIBUTION_RECORDS_KEY: "records"},
                inner={
                    "metaData": _DISTRIBUTION_META,
                    _wire.DISTRIBUTION_RECORDS_KEY: _DISTRIBUTION_RECORD,
                },
                add={"apiVersion": "alt-1"},
            )
        ),
        "GET " + _wire.PATH_INVOICE_CASE: EndpointRules(body=ObjectRules(inner={"case": _CASE})),
        "GET " + _wire.PATH_PAYMENTS: EndpointRules(
            body=ObjectRules(
                rename={"amount": "paidAmount", "currency": "currencyCode"},
                add={"allocationState": "PROVISIONAL"},
            )
        ),
        "GET " + _wire.PATH_SETTLEMENTS: EndpointRules(
            body=ObjectRules(
                inner={
                    "settlements": ObjectRules(
                        convert={"apiFetchDate": _date_only}, add={"settlementType": "REGULAR"}
                    )
                },
                derive={"count": lambda document, _: len(document["settlements"])},
            )
        ),
        "GET " + _wire.PATH_ACCOUNTING_LEDGER: EndpointRules(
            body=ObjectRules(inner={"ledgers": _TARGET})
        ),
        "GET " + _wire.PATH_ACCOUNTING_PAYMENT: EndpointRules(
            body=ObjectRules(inner={"payments": _TARGET}), when_empty={"payments": []}
        ),
        "GET " + _wire.PATH_ACCOUNTING_INVOICE: EndpointRules(
            body=ObjectRules(
                rename={_wire.ACCOUNTING_INVOICES_KEY: "items"},
                inner={_wire.ACCOUNTING_INVOICES_KEY: _ACCOUNTING_INVOICE},
            ),
            when_empty={"items": []},
        ),
        "POST " + _wire.PATH_INVOICE: EndpointRules(text=""),
        "POST " + _wire.PATH_INVOICE_ACTION: EndpointRules(text="Accepted"),
        "POST " + _wire.PATH_ACCOUNTING_LEDGER: EndpointRules(body=_queued("ledgerIdentifier")),
        "POST " + _wire.PATH_ACCOUNTING_PAYMENT: EndpointRules(
            body=ObjectRules(inner={"payments": _queued("paymentIdentifier")}), unwrap="payments"
        ),
        "POST " + _wire.PATH_CLIENT: EndpointRules(
            body=ObjectRules(
                rename={
                    "clientId": "id",
                    "customerCode": "customerNumber",
                    "paymentReferencePrefix": "referencePrefix",
                    "accessToken": "apiKey",
                    "expiresAt": "validUntil",
                }
            )
        ),
        "GET " + _wire.PATH_RENEW: EndpointRules(
            body=ObjectRules(rename={"expiresAt": "validUntil"})
        ),
    },
)
"""The alternate dialect's answers to every guess (``SandboxConfig(dialect="alternate")``)."""


def respell(value: Any, rules: ObjectRules, config: SandboxConfig) -> Any:
    """Apply ``rules`` to a JSON object, or to each object of a list; other values pass as is."""
    if isinstance(value, list):
        return [respell(item, rules, config) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in rules.drop:
            continue
        if key in rules.convert:
            item = rules.convert[key](item)
        if key in rules.inner:
            item = respell(item, rules.inner[key], config)
        out[rules.rename.get(key, key)] = item
    out.update(rules.add)
    out.update((key, derive(value, config)) for key, derive in rules.derive.items())
    return out


def problem(status: int, error: Mapping[str, Any]) -> dict[str, Any]:
    """The RFC 7807 form of an A3 error body ``{"code", "message", "errors": [...]}``."""
    out: dict[str, Any] = {
        "type": "about:blank",
        "title": error.get("code"),
        "detail": error.get("message"),
        "status": status,
    }
    fields: dict[str, list[Any]] = {}
    for item in error.get("errors") or ():
        fields.setdefault(item.get("field", ""), []).append(item.get("message"))
    if fields:
        out["errors"] = fields
    return out


def _replace(
    resp: web.Response, body: bytes | None, content_type: str | None, status: int | None = None
) -> web.Response:
    """A new response with another body, keeping the status and the other headers."""
    new = web.Response(status=status or resp.status, body=body, content_type=content_type)
    for name, value in resp.headers.items():
        if name.lower() not in ("content-type", "content-length"):
            new.headers.add(name, value)
    return new


class Rewriter:
    """Turns reference answers into a dialect's answers (one call per API response)."""

    def __init__(self, dialect: Dialect, config: SandboxConfig) -> None:
        self.dialect = dialect
        self.config = config
        self.request_id_header = dialect.request_id_header

    def __call__(self, endpoint: str, resp: web.StreamResponse) -> web.StreamResponse:
        """The dialect's answer for ``resp``, the reference answer to ``endpoint``."""
        if not isinstance(resp, web.Response):
            return resp
        if not 200 <= resp.status < 300:
            return self._error(resp)
        rules = self.dialect.endpoints.get(endpoint)
        if rules is None:
            return resp
        if resp.status == 204:
            if rules.when_empty is None:
                return resp
            return _replace(resp, dumps(rules.when_empty), JSON_TYPE, 200)
        if rules.text is not None:
            text = rules.text.encode()
            return _replace(resp, text or None, "text/plain" if text else None)
        if rules.body is None or resp.content_type != JSON_TYPE:
            return resp
        data = respell(loads(_bytes(resp)), rules.body, self.config)
        if rules.unwrap is not None:
            data = data[rules.unwrap]
        return _replace(resp, dumps(data), JSON_TYPE)

    def _error(self, resp: web.Response) -> web.Response:
        raw = _bytes(resp)
        if resp.content_type != JSON_TYPE or not raw:
            return resp
        data = loads(raw)
        if not isinstance(data, dict) or "code" not in data:
            return resp
        body = dumps(problem(resp.status, data))
        return _replace(resp, body, self.dialect.error_content_type)


def _bytes(resp: web.Response) -> bytes:
    body = resp.body
    return bytes(body) if isinstance(body, bytes | bytearray) else b""


def rewriter(config: SandboxConfig) -> Rewriter | None:
    """The rewriter of ``config.dialect``; ``None`` for the reference dialect (nothing to do)."""
    if config.dialect == "reference":
        return None
    return Rewriter(ALTERNATE_DIALECT, config)
