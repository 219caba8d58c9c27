"""Per-call escape hatches: ``extra_headers`` and ``extra_query`` on every public resource method.

Every method sends them in addition to its own parameters and the ``X-Api-Key``; pagers and the
watcher send them with every window request. Bad extras fail before anything is sent (pagers and
the watcher when they are built).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from confirma_async import (
    AccountingPaymentsSubmission,
    ActionsRequest,
    ConfirmaClient,
    DistributionWatcher,
    InvoiceRequest,
    LedgerSubmission,
    NewClientRequest,
    RequestValidationError,
)
from confirma_async.models import from_wire
from confirma_async.pagination import AsyncPager
from confirma_async.testing import (
    sample_accounting_payment,
    sample_client,
    sample_invoice,
    sample_ledger,
)

from .batch_fakes import comment, record
from .conftest import BASE, TOKEN, calls, url

PARTNER_TOKEN = "partner-PLANTED-77bb"
EXTRA_HEADERS = {"X-Partner-Trace": "trace-42"}
EXTRA_QUERY: dict[str, str | int] = {"debugMode": "on", "pageHint": 7}
SENT_QUERY = {"debugMode": "on", "pageHint": "7"}  # an int goes out as its decimal string
DAY = date(2026, 3, 10)
NEXT = DAY + timedelta(days=1)
NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Sent:
    """One request aioresponses recorded: its full URL (query included) and its headers."""

    url: URL
    headers: Mapping[str, str]

    @property
    def query(self) -> dict[str, str]:
        return dict(self.url.query)


def sent(mocked: aioresponses, method: str, path: str) -> list[Sent]:
    found = []
    for (m, u), requests in mocked.requests.items():
        if m == method and URL(u).path == URL(BASE + path).path:
            found.extend(Sent(URL(u), request.kwargs["headers"]) for request in requests)
    return found


def invoice_request() -> InvoiceRequest:
    return from_wire(sample_invoice(251601000, invoice_date=DAY), InvoiceRequest)


def ledger_submission() -> LedgerSubmission:
    return from_wire(sample_ledger("abc-123-def-456"), LedgerSubmission)


def payments_submission() -> AccountingPaymentsSubmission:
    body = {"payments": [sample_accounting_payment("pay-1", "133720800")]}
    return from_wire(body, AccountingPaymentsSubmission)


def client_request() -> NewClientRequest:
    return from_wire(sample_client(), NewClientRequest)


async def no_sleep(seconds: float) -> None:
    raise AssertionError("the test drives a single poll: the watcher must not sleep")


def watch(client: ConfirmaClient, **extras: Any) -> DistributionWatcher:
    return client.invoices.watch_distributions(
        since=DAY,
        lookback=timedelta(days=5),
        clock=lambda: NOON,
        sleep=no_sleep,
        **extras,
    )


def distribution_on_next_day(request_url: URL, **kwargs: Any) -> CallbackResult:
    """A listing with one record dated NEXT, in whichever window covers NEXT."""
    query = {**request_url.query, **(kwargs.get("params") or {})}
    covered = query["fromInvDate"] <= NEXT.isoformat() <= query["toInvDate"]
    found = [record(7, NEXT)] if covered else []
    return CallbackResult(payload={"metaData": {"totalCount": len(found)}, "distributions": found})


EMPTY_DISTRIBUTIONS = {"payload": {"metaData": {"totalCount": 0}, "distributions": []}}
CASE = {
    "case": {
        "summary": {"caseId": 12345, "status": "OPEN", "createdAt": "2026-03-01T10:00:00Z"},
        "balance": {"capitalAmount": 100, "interestAmount": 0},
    }
}
TWO_DAYS = {"fromDate": DAY.isoformat(), "toDate": NEXT.isoformat()}


@dataclass(frozen=True)
class Endpoint:
    """One public resource method: how to call it with extras, and what it must send."""

    id: str
    method: str
    path: str
    answer: dict[str, Any]
    start: Callable[..., Any]
    """``start(client, **extras)``: a coroutine, or a pager/watcher (``kind``) to drive."""
    own_query: dict[str, str] = field(default_factory=dict)
    """Query parameters of the method itself (for pagers: those of the first window)."""
    kind: str = "call"
    requests: int = 1
    api_key: str = TOKEN


ENDPOINTS = [
    Endpoint(
        "invoices.create",
        "POST",
        "/invoice",
        {"status": 201, "payload": {"invoiceNumber": 251601000, "status": "RECEIVED"}},
        lambda c, **x: c.invoices.create(invoice_request(), **x),
    ),
    Endpoint(
        "invoices.create_actions",
        "POST",
        "/invoice/action",
        {"status": 202, "payload": {"actions": [{"index": 0, "status": "PENDING"}]}},
        lambda c, **x: c.invoices.create_actions(ActionsRequest(actions=[comment(1)]), **x),
    ),
    Endpoint(
        "invoices.case",
        "GET",
        "/invoice/case",
        {"payload": CASE},
        lambda c, **x: c.invoices.case(case_id=12345, **x),
        {"caseId": "12345"},
    ),
    Endpoint(
        "invoices.distribution_window",
        "GET",
        "/invoice/distribution",
        EMPTY_DISTRIBUTIONS,
        lambda c, **x: c.invoices.distribution_window(DAY, NEXT, fetch_type="ALL", **x),
        {"fromInvDate": DAY.isoformat(), "toInvDate": NEXT.isoformat(), "fetchType": "ALL"},
    ),
    Endpoint(
        "invoices.find_distribution",
        "GET",
        "/invoice/distribution",
        {"payload": {"metaData": {"totalCount": 1}, "distributions": [record(7, DAY)]}},
        lambda c, **x: c.invoices.find_distribution(7, DAY, **x),
        {"fromInvDate": DAY.isoformat(), "toInvDate": DAY.isoformat(), "invoiceNumber": "7"},
    ),
    Endpoint(
        "invoices.distributions",
        "GET",
        "/invoice/distribution",
        EMPTY_DISTRIBUTIONS,
        lambda c, **x: c.invoices.distributions(DAY, NEXT, invoice_number=7, **x),
        {"fromInvDate": DAY.isoformat(), "toInvDate": DAY.isoformat(), "invoiceNumber": "7"},
        kind="pager",
        requests=2,
    ),
    Endpoint(
        "invoices.watch_distributions",
        "GET",
        "/invoice/distribution",
        {"callback": distribution_on_next_day},
        watch,
        {"fromInvDate": DAY.isoformat(), "toInvDate": DAY.isoformat()},
        kind="watcher",
        requests=2,
    ),
    Endpoint(
        "payments.payments_window",
        "GET",
        "/payments",
        {"payload": []},
        lambda c, **x: c.payments.payments_window(DAY, NEXT, **x),
        TWO_DAYS,
    ),
    Endpoint(
        "payments.settlements_window",
        "GET",
        "/settlements",
        {"payload": {"createdAt": "2026-03-12T09:00:00Z", "settlements": []}},
        lambda c, **x: c.payments.settlements_window(DAY, NEXT, unfetched_only=True, **x),
        {**TWO_DAYS, "unfetchedOnly": "true"},
    ),
    Endpoint(
        "payments.list",
        "GET",
        "/payments",
        {"payload": []},
        lambda c, **x: c.payments.list(DAY, NEXT, **x),
        {"fromDate": DAY.isoformat(), "toDate": DAY.isoformat()},
        kind="pager",
        requests=2,
    ),
    Endpoint(
        "payments.settlements",
        "GET",
        "/settlements",
        {"payload": {"createdAt": "2026-03-12T09:00:00Z", "settlements": []}},
        lambda c, **x: c.payments.settlements(DAY, NEXT, unfetched_only=True, **x),
        {"fromDate": DAY.isoformat(), "toDate": DAY.isoformat(), "unfetchedOnly": "true"},
        kind="pager",
        requests=2,
    ),
    Endpoint(
        "accounting.submit_ledger",
        "POST",
        "/accounting/ledger",
        {"status": 202, "payload": {"sourceIdentifier": "abc-123-def-456", "status": 0}},
        lambda c, **x: c.accounting.submit_ledger(ledger_submission(), **x),
    ),
    Endpoint(
        "accounting.ledger_status",
        "GET",
        "/accounting/ledger",
        {"payload": {"ledgers": []}},
        lambda c, **x: c.accounting.ledger_status(DAY, NEXT, source_identifier="src-1", **x),
        {**TWO_DAYS, "sourceIdentifier": "src-1"},
    ),
    Endpoint(
        "accounting.submit_payments",
        "POST",
        "/accounting/payment",
        {"status": 202, "payload": {"payments": [{"sourceIdentifier": "pay-1", "status": 0}]}},
        lambda c, **x: c.accounting.submit_payments(payments_submission(), **x),
    ),
    Endpoint(
        "accounting.payment_status",
        "GET",
        "/accounting/payment",
        {"payload": {"payments": []}},
        lambda c, **x: c.accounting.payment_status(DAY, NEXT, source_identifier="pay-1", **x),
        {**TWO_DAYS, "sourceIdentifier": "pay-1"},
    ),
    Endpoint(
        "accounting.invoice_status",
        "GET",
        "/accounting/invoice",
        {"payload": {"invoices": []}},
        lambda c, **x: c.accounting.invoice_status(DAY, NEXT, invoice_number=77, **x),
        {**TWO_DAYS, "invoiceNumber": "77"},
    ),
    Endpoint(
        "accounting.ledger_statuses",
        "GET",
        "/accounting/ledger",
        {"payload": {"ledgers": []}},
        lambda c, **x: c.accounting.ledger_statuses(DAY, NEXT, source_identifier="src-1", **x),
        {"fromDate": DAY.isoformat(), "toDate": DAY.isoformat(), "sourceIdentifier": "src-1"},
        kind="pager",
        requests=2,
    ),
    Endpoint(
        "accounting.payment_statuses",
        "GET",
        "/accounting/payment",
        {"payload": {"payments": []}},
        lambda c, **x: c.accounting.payment_statuses(DAY, NEXT, **x),
        {"fromDate": DAY.isoformat(), "toDate": DAY.isoformat()},
        kind="pager",
        requests=2,
    ),
    Endpoint(
        "accounting.invoice_statuses",
        "GET",
        "/accounting/invoice",
        {"payload": {"invoices": []}},
        lambda c, **x: c.accounting.invoice_statuses(DAY, NEXT, invoice_number=77, **x),
        {"fromDate": DAY.isoformat(), "toDate": DAY.isoformat(), "invoiceNumber": "77"},
        kind="pager",
        requests=2,
    ),
    Endpoint(
        "onboarding.create_client",
        "POST",
        "/client",
        {"status": 201, "payload": {"clientId": "c-1", "accessToken": "tok-new-client"}},
        lambda c, **x: c.onboarding.create_client(
            client_request(), partner_token=PARTNER_TOKEN, **x
        ),
        api_key=PARTNER_TOKEN,
    ),
    Endpoint(
        "onboarding.validate_token",
        "GET",
        "/validate",
        {"payload": {"isValid": True, "message": "Token is valid"}},
        lambda c, **x: c.onboarding.validate_token(**x),
    ),
    Endpoint(
        "onboarding.renew_token",
        "GET",
        "/renew",
        {"payload": {"token": "tok-renewed"}},
        lambda c, **x: c.onboarding.renew_token(**x),
    ),
]
LAZY = [e for e in ENDPOINTS if e.kind != "call"]


async def run(endpoint: Endpoint, client: ConfirmaClient, **extras: Any) -> Any:
    """Call the method and drive it to the end (a watcher: its first poll, then ``break``)."""
    started = endpoint.start(client, **extras)
    if endpoint.kind == "pager":
        pager: AsyncPager[Any] = started
        return await pager.to_list()
    if endpoint.kind == "watcher":
        watcher: DistributionWatcher = started
        first = None
        async with watcher:
            async for change in watcher:
                first = change
                break
        return first
    return await started


def stub(mocked: aioresponses, endpoint: Endpoint) -> None:
    register = mocked.post if endpoint.method == "POST" else mocked.get
    register(url(endpoint.path), repeat=True, **endpoint.answer)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
async def test_extras_are_sent_with_the_methods_own_parameters(
    mocked: aioresponses, client: ConfirmaClient, endpoint: Endpoint
) -> None:
    stub(mocked, endpoint)

    await run(endpoint, client, extra_headers=EXTRA_HEADERS, extra_query=EXTRA_QUERY)

    requests = sent(mocked, endpoint.method, endpoint.path)
    assert len(requests) == endpoint.requests
    for request in requests:
        assert request.headers["X-Partner-Trace"] == "trace-42"
        assert request.headers["X-Api-Key"] == endpoint.api_key
        assert request.query.items() >= SENT_QUERY.items()
    first = min(requests, key=lambda r: sorted(r.query.items()))
    assert first.query == {**endpoint.own_query, **SENT_QUERY}


@pytest.mark.parametrize("endpoint", LAZY, ids=lambda e: e.id)
async def test_every_window_request_of_a_listing_carries_the_extras(
    mocked: aioresponses, client: ConfirmaClient, endpoint: Endpoint
) -> None:
    stub(mocked, endpoint)

    await run(endpoint, client, extra_headers=EXTRA_HEADERS, extra_query=EXTRA_QUERY)

    requests = sent(mocked, endpoint.method, endpoint.path)
    windows = sorted((r.query.get("fromInvDate") or r.query["fromDate"]) for r in requests)
    assert windows == [DAY.isoformat(), NEXT.isoformat()]
    assert all(r.headers["X-Partner-Trace"] == "trace-42" for r in requests)
    assert all(r.query.items() >= SENT_QUERY.items() for r in requests)


async def test_extra_headers_are_sent_with_an_invoice(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(url("/invoice"), status=201, payload={"invoiceNumber": 251601000})

    await client.invoices.create(invoice_request(), extra_headers={"X-Idempotency-Hint": "inv-1"})

    (request,) = sent(mocked, "POST", "/invoice")
    assert request.headers["X-Idempotency-Hint"] == "inv-1"
    assert request.headers["X-Api-Key"] == TOKEN
    assert request.headers["Content-Type"] == "application/json"
    assert request.query == {}


async def test_a_watch_poll_yields_records_while_sending_the_extras(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/invoice/distribution"), callback=distribution_on_next_day, repeat=True)

    change = await run(
        next(e for e in LAZY if e.kind == "watcher"),
        client,
        extra_headers=EXTRA_HEADERS,
        extra_query=EXTRA_QUERY,
    )

    assert change.invoice_number == 7
    assert change.invoice_date == NEXT


async def test_an_extra_query_key_overrides_the_methods_own_parameter(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/invoice/distribution"), **EMPTY_DISTRIBUTIONS)

    await client.invoices.distribution_window(DAY, NEXT, extra_query={"fromInvDate": "2025-12-31"})

    (request,) = sent(mocked, "GET", "/invoice/distribution")
    assert request.url.query.getall("fromInvDate") == ["2025-12-31"]
    assert request.url.query.getall("toInvDate") == [NEXT.isoformat()]


async def test_an_extra_query_key_overrides_the_own_parameter_in_every_window(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[], repeat=True)

    await client.payments.list(DAY, NEXT, extra_query={"toDate": "2026-12-31"}).to_list()

    requests = sent(mocked, "GET", "/payments")
    assert sorted(r.query["fromDate"] for r in requests) == [DAY.isoformat(), NEXT.isoformat()]
    assert [r.url.query.getall("toDate") for r in requests] == [["2026-12-31"]] * 2


@pytest.mark.parametrize(
    ("value", "wire"),
    [(7, "7"), (0, "0"), (-3, "-3"), (12345678901234567890, "12345678901234567890")],
)
async def test_an_int_query_value_is_sent_as_its_decimal_string(
    mocked: aioresponses, client: ConfirmaClient, value: int, wire: str
) -> None:
    mocked.get(url("/payments"), payload=[])

    await client.payments.payments_window(DAY, DAY, extra_query={"limit": value})

    (request,) = sent(mocked, "GET", "/payments")
    assert request.url.query.getall("limit") == [wire]


SECRET = "tok-OTHER-PLANTED-0c1d"

BAD_EXTRAS = [
    pytest.param({"extra_headers": {"X-Api-Key": SECRET}}, "extra_headers", id="api-key-header"),
    pytest.param({"extra_headers": {"x-api-key": SECRET}}, "extra_headers", id="api-key-lower"),
    pytest.param({"extra_headers": {"X-API-KEY": SECRET}}, "extra_headers", id="api-key-upper"),
    pytest.param({"extra_headers": {"Host": "evil.test"}}, "extra_headers", id="host-header"),
    pytest.param({"extra_headers": {"content-length": "0"}}, "extra_headers", id="content-length"),
    pytest.param({"extra_headers": {"X Trace": "1"}}, "extra_headers", id="name-with-space"),
    pytest.param({"extra_headers": {"X-Trace:": "1"}}, "extra_headers", id="name-with-colon"),
    pytest.param({"extra_headers": {"": "1"}}, "extra_headers", id="empty-name"),
    pytest.param({"extra_headers": {5: "1"}}, "extra_headers", id="name-not-str"),
    pytest.param({"extra_headers": {"X-Trace": "a\rb"}}, "extra_headers", id="value-with-cr"),
    pytest.param({"extra_headers": {"X-Trace": "a\nb"}}, "extra_headers", id="value-with-lf"),
    pytest.param({"extra_headers": {"X-Trace": "a\0b"}}, "extra_headers", id="value-with-nul"),
    pytest.param({"extra_headers": {"X-Trace": 5}}, "extra_headers", id="value-int"),
    pytest.param({"extra_headers": {"X-Trace": b"1"}}, "extra_headers", id="value-bytes"),
    pytest.param({"extra_headers": {"X-Trace": None}}, "extra_headers", id="value-none"),
    pytest.param({"extra_headers": [("X-Trace", "1")]}, "extra_headers", id="headers-not-mapping"),
    pytest.param({"extra_headers": "X-Trace: 1"}, "extra_headers", id="headers-a-string"),
    pytest.param({"extra_query": {"flag": True}}, "extra_query", id="query-bool"),
    pytest.param({"extra_query": {"rate": 1.5}}, "extra_query", id="query-float"),
    pytest.param({"extra_query": {"flag": None}}, "extra_query", id="query-none"),
    pytest.param({"extra_query": {"": "x"}}, "extra_query", id="query-empty-name"),
    pytest.param({"extra_query": {7: "x"}}, "extra_query", id="query-name-not-str"),
    pytest.param({"extra_query": [("a", "b")]}, "extra_query", id="query-not-mapping"),
]


@pytest.mark.parametrize(("extras", "field_prefix"), BAD_EXTRAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
async def test_bad_extras_raise_before_anything_is_sent(
    mocked: aioresponses,
    client: ConfirmaClient,
    endpoint: Endpoint,
    extras: dict[str, Any],
    field_prefix: str,
) -> None:
    if endpoint.kind == "call":
        with pytest.raises(RequestValidationError) as info:
            await endpoint.start(client, **extras)
    else:  # a pager or a watcher raises when it is built, before it is iterated
        with pytest.raises(RequestValidationError) as info:
            endpoint.start(client, **extras)

    assert info.value.field.startswith(field_prefix)
    assert mocked.requests == {}


@pytest.mark.parametrize("endpoint", LAZY, ids=lambda e: e.id)
async def test_a_listing_checks_its_extras_when_it_is_built_not_when_iterated(
    mocked: aioresponses, client: ConfirmaClient, endpoint: Endpoint
) -> None:
    with pytest.raises(RequestValidationError):
        endpoint.start(client, extra_headers={"X-Trace": "a\nb"})
    with pytest.raises(RequestValidationError):
        endpoint.start(client, extra_query={"flag": False})

    assert mocked.requests == {}


@pytest.mark.parametrize("name", ["X-Api-Key", "x-api-key", "X-API-KEY"])
async def test_the_api_key_header_cannot_be_given_and_its_value_is_not_shown(
    mocked: aioresponses, client: ConfirmaClient, name: str
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await client.invoices.create(invoice_request(), extra_headers={name: SECRET})

    assert info.value.field == f"extra_headers.{name}"
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value.value)
    assert mocked.requests == {}


@pytest.mark.parametrize("bad", ["\r", "\n", "\0", "\r\n"])
async def test_a_header_value_with_a_line_break_is_not_shown_in_the_error(
    mocked: aioresponses, client: ConfirmaClient, bad: str
) -> None:
    value = f"harmless{bad}X-Api-Key: {SECRET}"

    with pytest.raises(RequestValidationError) as info:
        await client.payments.payments_window(DAY, DAY, extra_headers={"X-Trace": value})

    assert info.value.field == "extra_headers.X-Trace"
    assert SECRET not in str(info.value)
    assert value not in str(info.value)
    assert mocked.requests == {}


@pytest.mark.parametrize("name", ["X Trace", "X-Trace:", "X-Trace\r\n"])
async def test_a_bad_header_name_is_named_in_the_error(
    mocked: aioresponses, client: ConfirmaClient, name: str
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await client.onboarding.validate_token(extra_headers={name: "1"})

    assert info.value.field == "extra_headers"
    assert info.value.value == name
    assert mocked.requests == {}


@pytest.mark.parametrize("value", [True, 1.5, None])
async def test_a_query_value_that_is_not_str_or_int_names_its_parameter(
    mocked: aioresponses, client: ConfirmaClient, value: Any
) -> None:
    with pytest.raises(RequestValidationError) as info:
        await client.accounting.ledger_status(DAY, DAY, extra_query={"verbose": value})

    assert info.value.field == "extra_query.verbose"
    assert mocked.requests == {}


async def test_empty_extras_send_only_the_methods_own_parameters(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[])

    await client.payments.payments_window(DAY, DAY, extra_headers={}, extra_query={})

    (request,) = sent(mocked, "GET", "/payments")
    assert request.query == {"fromDate": DAY.isoformat(), "toDate": DAY.isoformat()}
    assert set(request.headers) == {"Accept", "User-Agent", "X-Api-Key"}


@pytest.mark.parametrize("method", ["validate_token", "renew_token"])
async def test_the_token_managers_own_methods_reject_the_api_key_header_too(
    mocked: aioresponses, client: ConfirmaClient, method: str
) -> None:
    mocked.get(url("/validate"), payload={"isValid": True})
    mocked.get(url("/renew"), payload={"token": "tok-renewed"})

    with pytest.raises(RequestValidationError):
        await getattr(client.tokens, method)(extra_headers={"x-api-key": SECRET})

    assert mocked.requests == {}


async def test_an_extra_header_replaces_the_clients_own_of_the_same_name_in_any_case(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[])
    await client.payments.payments_window(DAY, DAY, extra_headers={"accept": "text/plain"})
    (call,) = calls(mocked, "GET", "/payments")
    headers = call.kwargs["headers"]
    assert [v for k, v in headers.items() if k.lower() == "accept"] == ["text/plain"]
