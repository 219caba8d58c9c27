"""A 2xx answer to a POST is a success whatever its body; a new token is never lost."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from aioresponses import aioresponses

from confirma_async import (
    AccountingPayment,
    AccountingPaymentsAccepted,
    AccountingPaymentsSubmission,
    ActionsQueued,
    ActionsRequest,
    ConfirmaClient,
    InvoiceCreated,
    LedgerSubmission,
    NewClient,
    NewClientRequest,
    ResponseDecodeError,
    SubmissionStatus,
    TokenNotFoundError,
)
from confirma_async.models import from_wire
from confirma_async.testing import sample_accounting_payment, sample_client, sample_ledger

from .batch_fakes import comment, invoice
from .conftest import BASE, FAST, TOKEN, calls, url

DAY = date(2026, 1, 15)

NEW_TOKEN = "new-client-token-SECRET-77"


class Recorder:
    """A logger that keeps every event with its level."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def debug(self, event: str, **fields: Any) -> None:
        self.events.append(("debug", event, fields))

    def info(self, event: str, **fields: Any) -> None:
        self.events.append(("info", event, fields))

    def warning(self, event: str, **fields: Any) -> None:
        self.events.append(("warning", event, fields))

    def error(self, event: str, **fields: Any) -> None:
        self.events.append(("error", event, fields))


def _ledger() -> LedgerSubmission:
    return from_wire(sample_ledger("led-1"), LedgerSubmission)


def _payments() -> AccountingPaymentsSubmission:
    payment = from_wire(sample_accounting_payment("pay-1", "123"), AccountingPayment)
    return AccountingPaymentsSubmission(payments=[payment])


# (call, path, result type) for every POST the client makes with a client token.
POSTS = {
    "invoice": (lambda c: c.invoices.create(invoice(7)), "/invoice", InvoiceCreated),
    "actions": (
        lambda c: c.invoices.create_actions(ActionsRequest(actions=[comment(7)])),
        "/invoice/action",
        ActionsQueued,
    ),
    "ledger": (
        lambda c: c.accounting.submit_ledger(_ledger()),
        "/accounting/ledger",
        SubmissionStatus,
    ),
    "payments": (
        lambda c: c.accounting.submit_payments(_payments()),
        "/accounting/payment",
        AccountingPaymentsAccepted,
    ),
}

BODIES = {
    "empty": (b"", "application/json"),
    "not JSON": (b"<html>Accepted</html>", "text/html"),
    "a JSON list": (b'[{"id": 1}]', "application/json"),
    "a JSON string": (b'"OK"', "application/json"),
    "another shape": (b'{"state": "QUEUED", "ref": "x-1"}', "application/json"),
    "guessed fields of other types": (
        b'{"invoiceNumber": "n/a", "actions": 3, "status": [], "payments": {}}',
        "application/json",
    ),
}


@pytest.fixture
async def logged() -> Any:
    log = Recorder()
    async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=FAST, logger=log) as c:
        yield c, log


@pytest.mark.parametrize("body", BODIES, ids=str)
@pytest.mark.parametrize("post", POSTS, ids=str)
@pytest.mark.parametrize("status", [200, 201, 202, 204])
async def test_any_2xx_answer_to_a_post_is_a_result_with_the_raw_body(
    mocked: aioresponses, logged: Any, post: str, body: str, status: int
) -> None:
    client, log = logged
    call, path, cls = POSTS[post]
    raw, content_type = BODIES[body]
    mocked.post(url(path), status=status, body=raw, content_type=content_type)

    result = await call(client)

    assert type(result) is cls
    assert result.raw_body == raw
    warnings = [fields for level, event, fields in log.events if level == "warning"]
    assert [w["path"] for w in warnings] == [path]
    assert warnings[0]["status"] == status
    assert raw.decode() not in str(warnings) or not raw  # keys and kinds, never the body


async def test_a_well_formed_answer_is_decoded_and_not_warned_about(
    mocked: aioresponses, logged: Any
) -> None:
    client, log = logged
    body = b'{"invoiceNumber": 7, "status": "RECEIVED", "receivedAt": "2026-01-15T10:00:00Z"}'
    mocked.post(url("/invoice"), status=201, body=body, content_type="application/json")

    created = await client.invoices.create(invoice(7))

    assert (created.invoice_number, created.status) == (7, "RECEIVED")
    assert created.raw_body == body
    assert not [e for e in log.events if e[0] == "warning"]


async def test_an_unexpected_answer_is_warned_about_once_per_endpoint_then_at_debug_level(
    mocked: aioresponses, logged: Any
) -> None:
    client, log = logged
    mocked.post(url("/invoice"), status=201, body=b"", repeat=True)

    for number in (1, 2, 3):
        await client.invoices.create(invoice(number))

    levels = [level for level, event, _ in log.events if event == "confirma_unexpected_answer"]
    assert levels == ["warning", "debug", "debug"]


async def test_unknown_keys_of_a_post_answer_are_named_in_the_warning_and_kept_in_extra(
    mocked: aioresponses, logged: Any
) -> None:
    client, log = logged
    mocked.post(url("/invoice"), status=201, payload={"id": "abc", "invoiceNumber": 7})

    created = await client.invoices.create(invoice(7))

    assert created.invoice_number == 7
    assert created.extra == {"id": "abc"}
    [(_, _, fields)] = [e for e in log.events if e[0] == "warning"]
    assert "id" in fields["problem"]


def _new_client_request() -> NewClientRequest:
    return from_wire(sample_client(), NewClientRequest)


async def test_create_client_reads_the_new_token_and_hides_it_from_the_repr(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(url("/client"), status=201, payload={"clientId": "c-1", "accessToken": NEW_TOKEN})

    created = await client.onboarding.create_client(_new_client_request(), partner_token="p-tok")

    assert isinstance(created, NewClient)
    assert created.access_token == NEW_TOKEN
    assert NEW_TOKEN not in repr(created)


@pytest.mark.parametrize(
    "answer",
    [
        b'{"clientId": "c-1", "apiKey": "new-client-token-SECRET-77"}',
        b"client created, key new-client-token-SECRET-77",
        b"",
    ],
    ids=["another name", "not JSON", "empty"],
)
async def test_create_client_without_a_readable_token_raises_with_the_raw_answer(
    mocked: aioresponses, client: ConfirmaClient, answer: bytes
) -> None:
    mocked.post(url("/client"), status=201, body=answer)

    with pytest.raises(TokenNotFoundError) as caught:
        await client.onboarding.create_client(_new_client_request(), partner_token="p-tok")

    error = caught.value
    assert error.raw_body == answer
    assert not error.outcome_unknown  # the client was created: the outcome is known
    assert (error.status, error.method, error.request_path) == (201, "POST", "/client")
    assert NEW_TOKEN not in str(error)
    assert NEW_TOKEN not in repr(error)
    assert "NewClient.access_token" in str(error)


async def test_a_wire_alias_recovers_a_new_client_token_under_another_name(
    mocked: aioresponses,
) -> None:
    mocked.post(url("/client"), status=201, payload={"apiKey": NEW_TOKEN})
    async with ConfirmaClient(
        api_key=TOKEN, base_url=BASE, config=FAST, wire_aliases=["NewClient.access_token=apiKey"]
    ) as client:
        created = await client.onboarding.create_client(
            _new_client_request(), partner_token="p-tok"
        )
    assert created.access_token == NEW_TOKEN


async def test_a_renewal_answer_without_a_token_raises_with_the_raw_answer(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/renew"), status=200, payload={"apiKey": NEW_TOKEN})

    with pytest.raises(TokenNotFoundError) as caught:
        await client.onboarding.renew_token()

    assert isinstance(caught.value, ResponseDecodeError)
    assert NEW_TOKEN.encode() in caught.value.raw_body
    assert NEW_TOKEN not in str(caught.value)
    assert client.tokens.generation == 0


async def test_a_renewal_with_an_unreadable_expiry_keeps_the_new_token(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/renew"), status=200, payload={"Message": NEW_TOKEN, "expiresAt": "soon"})
    mocked.get(url("/payments"), status=200, payload=[])

    assert await client.onboarding.renew_token() is None
    assert client.tokens.generation == 1
    await client.payments.payments_window(DAY, DAY)
    (sent,) = calls(mocked, "GET", "/payments")
    assert sent.kwargs["headers"]["X-Api-Key"] == NEW_TOKEN


async def test_a_renewal_token_under_another_name_is_read_with_a_wire_alias(
    mocked: aioresponses,
) -> None:
    mocked.get(url("/renew"), status=200, payload={"apiKey": NEW_TOKEN, "validUntil": None})
    async with ConfirmaClient(
        api_key=TOKEN, base_url=BASE, config=FAST, wire_aliases=["RenewedToken.token=apiKey"]
    ) as client:
        await client.onboarding.renew_token()
        assert client.tokens.generation == 1
