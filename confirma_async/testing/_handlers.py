"""The CFIS endpoints: authenticate, validate the raw request, call the state, answer JSON."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._core import wire as _wire
from .._core.json import loads
from ._accounting import LISTING_KEYS, Kind, SyncItem
from ._fmt import stamp
from ._http import json_response, raw_json_response, validation_error
from ._listing import distribution_body, payments_body, settlements_document
from ._query import Window, date_window, flag, positive_int
from ._schemas import (
    check_accounting_payments,
    check_actions,
    check_client,
    check_invoice,
    check_ledger,
)
from ._state import SandboxState
from ._tokens import TokenKind, TokenRecord


async def read_json(request: web.Request) -> Any:
    """Decode the body with the project decoder (fractions become ``Decimal``), or 400."""
    raw = await request.read()
    try:
        return loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise validation_error([("", "request body is not valid JSON")]) from None


class Handlers:
    """One method per endpoint of ``shared/api`` (plus the assumed A17 accounting invoice one)."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[web.RouteDef]:
        """Every API route, mounted under ``/api/v1/partner``."""
        w, p = _wire, _wire.API_PREFIX
        return [
            web.post(p + w.PATH_CLIENT, self.create_client),
            web.get(p + w.PATH_VALIDATE, self.validate, allow_head=False),
            web.get(p + w.PATH_RENEW, self.renew, allow_head=False),
            web.post(p + w.PATH_INVOICE, self.create_invoice),
            web.post(p + w.PATH_INVOICE_ACTION, self.create_actions),
            web.get(p + w.PATH_INVOICE_CASE, self.case, allow_head=False),
            web.get(p + w.PATH_INVOICE_DISTRIBUTION, self.distribution, allow_head=False),
            web.get(p + w.PATH_PAYMENTS, self.payments, allow_head=False),
            web.get(p + w.PATH_SETTLEMENTS, self.settlements, allow_head=False),
            web.post(p + w.PATH_ACCOUNTING_LEDGER, self.submit_ledger),
            web.get(p + w.PATH_ACCOUNTING_LEDGER, self.ledger_status, allow_head=False),
            web.post(p + w.PATH_ACCOUNTING_PAYMENT, self.submit_payments),
            web.get(p + w.PATH_ACCOUNTING_PAYMENT, self.payment_status, allow_head=False),
            web.get(p + w.PATH_ACCOUNTING_INVOICE, self.invoice_status, allow_head=False),
        ]

    def _auth(self, request: web.Request, kind: TokenKind = "client") -> TokenRecord:
        token = request.headers.get(_wire.API_KEY_HEADER)
        return self.state.tokens.authenticate(token, self.state.clock.now(), kind)

    def _client_id(self, request: web.Request) -> str:
        client_id = self._auth(request).client_id
        assert client_id is not None
        return client_id

    def _window(
        self, request: web.Request, from_key: str, to_key: str, *, unbounded: bool = False
    ) -> Window | None:
        config = self.state.config
        return date_window(
            request.query,
            from_key,
            to_key,
            today=self.state.clock.now().date(),
            default_days=config.default_window_days,
            max_days=config.max_window_days,
            unbounded=unbounded,
        )

    # --- onboarding and tokens (A19-A21) --------------------------------------------------

    async def create_client(self, request: web.Request) -> web.Response:
        """``POST /client`` with the partner provisioning token: 201 and the first token."""
        self._auth(request, "partner")
        name = check_client(await read_json(request))
        tokens, now = self.state.tokens, self.state.clock.now()
        account = tokens.add_client(name)
        token = tokens.issue("client", account.client_id, now, tokens.lifetime_expiry(now))
        body = {
            "clientId": account.client_id,
            "customerCode": account.customer_code,
            "paymentReferencePrefix": account.payment_reference_prefix,
            "accessToken": token.token,
            "expiresAt": stamp(token.expires_at) if token.expires_at else None,
        }
        return json_response(body, 201)

    async def validate(self, request: web.Request) -> web.Response:
        """``GET /validate``: 401 unknown/revoked, 200 ``isValid: false`` when expired (A19)."""
        tokens = self.state.tokens
        record = tokens.known(request.headers.get(_wire.API_KEY_HEADER))
        if tokens.is_expired(record, self.state.clock.now()):
            return json_response({"isValid": False, "message": "Token expired"})
        return json_response({"isValid": True, "message": "Token is valid"})

    async def renew(self, request: web.Request) -> web.Response:
        """``GET /renew``: a new token in ``Message``; the old one is revoked at once (A20)."""
        tokens = self.state.tokens
        record = tokens.known(request.headers.get(_wire.API_KEY_HEADER))
        new = tokens.renew(record, self.state.clock.now())
        expires = stamp(new.expires_at) if new.expires_at else None
        return json_response({"Message": new.token, "expiresAt": expires})

    # --- invoices (A7-A11) ------------------------------------------------------------------

    async def create_invoice(self, request: web.Request) -> web.Response:
        """``POST /invoice``: 201, 400 with field errors, or 409 ``DUPLICATE_INVOICE``."""
        client_id = self._client_id(request)
        body = await read_json(request)
        invoice = self.state.create_invoice(client_id, check_invoice(body), body)
        answer = {
            "invoiceNumber": invoice.number,
            "status": "RECEIVED",
            "receivedAt": stamp(invoice.received_at),
        }
        return json_response(answer, 201)

    async def create_actions(self, request: web.Request) -> web.Response:
        """``POST /invoice/action``: 202 with one ``PENDING`` receipt per action (A9)."""
        client_id = self._client_id(request)
        specs = check_actions(await read_json(request))
        queued = self.state.action_queue.queue(client_id, specs)
        return json_response({"actions": [a.receipt() for a in queued]}, 202)

    async def case(self, request: web.Request) -> web.Response:
        """``GET /invoice/case?caseId=`` or ``?invoiceNumber=`` (A10)."""
        client_id = self._client_id(request)
        case_id = positive_int(request.query, _wire.Q_CASE_ID)
        number = positive_int(request.query, _wire.Q_INVOICE_NUMBER)
        if case_id is None and number is None:
            raise validation_error([(_wire.Q_CASE_ID, "caseId or invoiceNumber is required")])
        case = self.state.find_case(client_id, case_id, number)
        return json_response(case.to_json(self.state.clock.now()))

    async def distribution(self, request: web.Request) -> web.Response:
        """``GET /invoice/distribution`` (A11): windowed, truncated, with ``metaData`` counts."""
        client_id = self._client_id(request)
        number = positive_int(request.query, _wire.Q_INVOICE_NUMBER)
        window = self._window(
            request, _wire.Q_FROM_INV_DATE, _wire.Q_TO_INV_DATE, unbounded=number is not None
        )
        fetch_type = request.query.get(_wire.Q_FETCH_TYPE)
        body = distribution_body(self.state, client_id, window, number, fetch_type)
        return raw_json_response(body)

    # --- payments and settlements (A12, A13) ------------------------------------------------

    async def payments(self, request: web.Request) -> web.Response:
        """``GET /payments?fromDate&toDate``: a top-level array."""
        client_id = self._client_id(request)
        window = self._window(request, _wire.Q_FROM_DATE, _wire.Q_TO_DATE)
        assert window is not None
        return raw_json_response(payments_body(self.state, client_id, window))

    async def settlements(self, request: web.Request) -> web.Response:
        """``GET /settlements?fromDate&toDate&unfetchedOnly``."""
        client_id = self._client_id(request)
        window = self._window(request, _wire.Q_FROM_DATE, _wire.Q_TO_DATE)
        assert window is not None
        unfetched = flag(request.query, _wire.Q_UNFETCHED_ONLY)
        return json_response(settlements_document(self.state, client_id, window, unfetched))

    # --- accounting (A14-A18) ---------------------------------------------------------------

    async def submit_ledger(self, request: web.Request) -> web.Response:
        """``POST /accounting/ledger``: 202 pending, 409 on a repeated ``ledgerIdentifier``."""
        client_id = self._client_id(request)
        doc = check_ledger(await read_json(request))
        sync = self.state.accounting
        sync.check_new(client_id, "ledger", [doc.identifier])
        item = sync.submit(
            SyncItem(
                "ledger",
                client_id,
                doc.identifier,
                doc.document_date,
                doc.document_name,
                "",
                self.state.sync(),
            )
        )
        return json_response(_receipt(item), 202)

    async def submit_payments(self, request: web.Request) -> web.Response:
        """``POST /accounting/payment``: 202 with one pending receipt per payment."""
        client_id = self._client_id(request)
        payments = check_accounting_payments(await read_json(request))
        sync = self.state.accounting
        sync.check_new(client_id, "payment", [p.identifier for p in payments])
        now = self.state.sync()
        items = [
            sync.submit(
                SyncItem(
                    "payment",
                    client_id,
                    p.identifier,
                    p.payment_date,
                    "",
                    p.invoice_number,
                    now,
                )
            )
            for p in payments
        ]
        return json_response({"payments": [_receipt(i) for i in items]}, 202)

    async def _status(self, request: web.Request, kind: Kind, id_key: str) -> web.Response:
        client_id = self._client_id(request)
        identifier = request.query.get(id_key) or None
        window = self._window(
            request, _wire.Q_FROM_DATE, _wire.Q_TO_DATE, unbounded=identifier is not None
        )
        items = self.state.accounting.query(client_id, kind, window, identifier)
        if not items:
            return web.Response(status=204)
        return json_response({LISTING_KEYS[kind]: [i.to_json() for i in items]})

    async def ledger_status(self, request: web.Request) -> web.Response:
        """``GET /accounting/ledger`` (A15): 204 when nothing matches."""
        return await self._status(request, "ledger", _wire.Q_SOURCE_IDENTIFIER)

    async def payment_status(self, request: web.Request) -> web.Response:
        """``GET /accounting/payment`` (A16): 204 when nothing matches."""
        return await self._status(request, "payment", _wire.Q_SOURCE_IDENTIFIER)

    async def invoice_status(self, request: web.Request) -> web.Response:
        """``GET /accounting/invoice`` (A17, assumed endpoint): 204 when nothing matches."""
        return await self._status(request, "invoice", _wire.Q_INVOICE_NUMBER)


def _receipt(item: SyncItem) -> dict[str, Any]:
    return {"sourceIdentifier": item.source_identifier, "status": 0, "description": "Pending"}
