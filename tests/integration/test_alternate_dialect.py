"""The client against the sandbox's alternate dialect: every guessed response shape spelt otherwise.

Every test here runs against ``SandboxConfig(dialect="alternate")``. ``confirma_client`` carries
``ALTERNATE_ALIASES`` (what a user adds after ``confirma doctor``); ``bare_client`` carries none, as
a client does before anyone noticed. The sandbox stores a repeated invoice number again instead of
answering 409 (``reject_duplicates=False``), so a blind re-send would show as a second acceptance.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
import pytest_asyncio

from confirma_async import (
    AccountingPayment,
    AccountingPaymentsSubmission,
    ActionCode,
    ActionData,
    ActionsRequest,
    APIConnectionError,
    BatchResult,
    BatchStatus,
    ConfirmaClient,
    DistributionPage,
    DistributionRecord,
    InvoiceAction,
    LookupInconclusiveError,
    TokenNotFoundError,
    WindowTruncatedError,
)
from confirma_async.testing import DialectName, FaultRule, Sandbox, SandboxConfig

from .conftest import ALTERNATE_ALIASES, FAST, TODAY, make_invoice
from .test_endpoints import ledger, new_client_request

CREATED, EXISTS, FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED
FIRST = 820_000_001
BATCH = 1_000
COMMIT_DROPS = FaultRule(kind="commit_drop", method="POST", path="/invoice", rate=0.2)
ALIASED_NAMES = frozenset(spec.partition("=")[2] for spec in ALTERNATE_ALIASES)

pytestmark = pytest.mark.usefixtures("dialect")


@pytest.fixture
def dialect() -> DialectName:
    return "alternate"


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        seed=20260201,
        distribution_failure_rate=0,
        debtor_payment_rate=0,
        sync_failure_rate=0,
        reject_duplicates=False,
        token_lifetime=timedelta(days=30),  # renewed and new tokens carry an expiry to read
    )


@pytest_asyncio.fixture
async def bare_client(confirma_sandbox: Sandbox) -> AsyncIterator[ConfirmaClient]:
    """A client of the alternate sandbox built without any wire alias."""
    async with ConfirmaClient(
        api_key=confirma_sandbox.client_token, base_url=confirma_sandbox.base_url, config=FAST
    ) as client:
        yield client


async def upload(client: ConfirmaClient, count: int) -> list[BatchResult[object, object]]:
    """Submit ``count`` invoices numbered from ``FIRST`` as one batch; every result."""
    items = (make_invoice(FIRST + i, payment_control=False) for i in range(count))
    async with client.batch(32).submit_invoices(items) as results:
        return [r async for r in results]


def numbers(count: int) -> dict[int, int]:
    """The sandbox's acceptance counts when each of ``count`` invoices is stored exactly once."""
    return {FIRST + i: 1 for i in range(count)}


def unread_alias_names(value: object) -> set[str]:
    """Keys named by an alias that a model anywhere in ``value`` left unread in its ``extra``."""
    if isinstance(value, list):
        return set().union(*map(unread_alias_names, value))
    if not attrs.has(type(value)):
        return set()
    found = set(getattr(value, "extra", None) or ()) & ALIASED_NAMES
    for field in attrs.fields(type(value)):
        if field.name != "extra":
            found |= unread_alias_names(getattr(value, field.name))
    return found


# --- the aliases match the alternate dialect -----------------------------------------------------


async def test_with_the_aliases_every_key_the_alternate_dialect_renames_is_read(
    confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    client = confirma_client
    await client.invoices.create(make_invoice(21, amount="50.00", accounting=True))
    confirma_sandbox.advance(timedelta(minutes=10))
    payment = ActionData(invoice_number=21, amount=Decimal("20.00"), payment_date=TODAY)
    await client.invoices.create_actions(
        ActionsRequest(actions=[InvoiceAction(code=ActionCode.DIRECT_PAYMENT, data=payment)])
    )
    confirma_sandbox.advance(timedelta(days=2))

    page = await client.invoices.distribution_window(TODAY, TODAY)
    details = await client.invoices.case(invoice_number=21)
    payments = await client.payments.payments_window(TODAY, TODAY)
    statuses = await client.accounting.invoice_status(TODAY, TODAY)
    receipt = await client.accounting.submit_ledger(ledger("L-21"))
    created = await client.onboarding.create_client(
        new_client_request(), partner_token=confirma_sandbox.partner_token
    )
    renewed_expiry = await client.tokens.renew_token()

    answers = [page, details, payments, statuses, receipt, created]
    assert unread_alias_names(answers) == set()
    (record,) = page.distributions
    assert None not in attrs.astuple(record, recurse=False)  # every guessed field was read
    assert page.meta_data.filters_applied.default_last30_days is False
    balance = details.case.balance
    assert (balance.costs_amount, balance.total_amount) == (Decimal("0.00"), Decimal("30.00"))
    assert [(p.amount, p.reference is not None) for p in details.case.payments] == [
        (Decimal("20.00"), True)
    ]
    assert details.case.events[-1].type == "PAYMENT"
    assert [(p.amount, p.currency) for p in payments] == [(Decimal("20.00"), "EUR")]
    assert [(s.invoice_number, s.status) for s in statuses] == [("21", 1)]
    assert receipt.source_identifier == "L-21"
    assert None not in (created.client_id, created.access_token, created.expires_at)
    assert renewed_expiry is not None


# --- bulk upload through commit-then-drop --------------------------------------------------------


async def test_commit_then_drop_batch_with_the_aliases_stores_each_invoice_once_none_failed(
    confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    confirma_sandbox.faults.add(COMMIT_DROPS)

    results = await upload(confirma_client, BATCH)

    assert sorted(r.index for r in results) == list(range(BATCH))  # a result for every input
    assert [r for r in results if r.status is FAILED] == []
    assert confirma_sandbox.state.accepted_counts() == numbers(BATCH)
    assert confirma_sandbox.state.requests_received("POST", "/invoice") == BATCH  # none re-sent
    # Each upload stored and then dropped was found by the lookup, read through the aliases.
    exists = [r for r in results if r.status is EXISTS]
    assert len(exists) == confirma_sandbox.faults.fired["commit_drop"] > 0
    assert all(isinstance(r.response, DistributionRecord) for r in exists)
    assert all(r.response.invoice_number == r.key for r in exists)  # type: ignore[union-attr]
    # The others were answered 201 with no body: CREATED, with nothing to read but the raw body.
    created = [r for r in results if r.status is CREATED]
    assert len(created) == BATCH - len(exists)
    assert {r.response.raw_body for r in created} == {b""}  # type: ignore[union-attr]


async def test_commit_then_drop_batch_without_aliases_fails_the_dropped_as_unknown_never_resent(
    confirma_sandbox: Sandbox, bare_client: ConfirmaClient
) -> None:
    confirma_sandbox.faults.add(COMMIT_DROPS)

    results = await upload(bare_client, BATCH)

    assert sorted(r.index for r in results) == list(range(BATCH))
    assert confirma_sandbox.state.accepted_counts() == numbers(BATCH)  # nothing stored twice
    assert confirma_sandbox.state.requests_received("POST", "/invoice") == BATCH  # none re-sent
    # The lookup cannot read the alternate records, so a dropped upload stays unknown.
    failed = [r for r in results if r.status is FAILED]
    assert len(failed) == confirma_sandbox.faults.fired["commit_drop"] > 0
    for result in failed:
        assert result.outcome_unknown
        assert result.attempts == 1
        assert isinstance(result.error, APIConnectionError)
        assert result.error.outcome_unknown
        assert isinstance(result.lookup_error, LookupInconclusiveError)
    assert [r.status for r in results if r.status is not FAILED] == [CREATED] * (
        BATCH - len(failed)
    )


# --- wire aliases added at run time --------------------------------------------------------------


async def test_an_alias_added_at_run_time_is_used_by_the_pager(
    confirma_sandbox: Sandbox, bare_client: ConfirmaClient
) -> None:
    for number in (1, 2, 2, 3):  # 2 twice: stored twice, listed twice
        await bare_client.invoices.create(make_invoice(number))
    with pytest.raises(WindowTruncatedError):  # records it cannot read: it stops, drops nothing
        await bare_client.invoices.distributions(TODAY, TODAY).to_list()

    bare_client.wire_aliases.add(DistributionPage, "distributions", "records")
    bare_client.wire_aliases.add(DistributionRecord, "invoice_number", "invoiceNo")
    bare_client.wire_aliases.add(DistributionRecord, "distribution_status", "deliveryState")
    pager = bare_client.invoices.distributions(TODAY, TODAY)
    records = await pager.to_list()

    assert [(r.invoice_number, r.distribution_status) for r in records] == [
        (1, "QUEUED"),
        (2, "QUEUED"),
        (3, "QUEUED"),
    ]
    assert pager.stats.duplicates == 1  # the second record of invoice 2, keyed by its number


async def test_an_alias_added_at_run_time_is_used_by_the_lookup(
    confirma_sandbox: Sandbox, bare_client: ConfirmaClient
) -> None:
    await bare_client.invoices.create(make_invoice(7))
    with pytest.raises(LookupInconclusiveError) as caught:
        await bare_client.invoices.find_distribution(7, TODAY)
    assert "records" in caught.value.keys

    bare_client.wire_aliases.add(DistributionPage, "distributions", "records")
    bare_client.wire_aliases.add(DistributionRecord, "invoice_number", "invoiceNo")

    found = await bare_client.invoices.find_distribution(7, TODAY)
    assert found is not None
    assert found.invoice_number == 7
    assert await bare_client.invoices.find_distribution(8, TODAY) is None  # absence is proven


async def test_an_alias_added_at_run_time_lets_the_batch_reconcile_a_dropped_upload(
    confirma_sandbox: Sandbox, bare_client: ConfirmaClient
) -> None:
    bare_client.wire_aliases.add(DistributionPage, "distributions", "records")
    bare_client.wire_aliases.add(DistributionRecord, "invoice_number", "invoiceNo")
    confirma_sandbox.faults.drop_next(1, "POST", "/invoice", commit=True)

    (result,) = await upload(bare_client, 1)

    assert result.status is EXISTS
    assert result.lookups == 1
    assert confirma_sandbox.state.accepted_counts() == numbers(1)


# --- every POST succeeds whatever its answer -----------------------------------------------------


async def test_create_invoice_answered_201_without_a_body_is_a_success_with_nothing_to_read(
    confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    created = await confirma_client.invoices.create(make_invoice(11))

    assert (created.invoice_number, created.status, created.received_at) == (None, None, None)
    assert created.extra == {}
    assert created.raw_body == b""
    assert confirma_sandbox.state.accepted_count(11) == 1


async def test_create_actions_answered_with_plain_text_is_a_success_without_receipts(
    confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    await confirma_client.invoices.create(make_invoice(12))
    action = InvoiceAction(
        code=ActionCode.COMMENT, comment="called", data=ActionData(invoice_number=12)
    )

    queued = await confirma_client.invoices.create_actions(ActionsRequest(actions=[action]))

    assert queued.actions == []
    assert queued.raw_body == b"Accepted"
    assert [a.spec.comment for a in confirma_sandbox.state.actions()] == ["called"]


async def test_submit_ledger_reads_the_identifier_through_the_alias_and_keeps_the_state(
    confirma_client: ConfirmaClient,
) -> None:
    accepted = await confirma_client.accounting.submit_ledger(ledger("L-7"))

    assert accepted.source_identifier == "L-7"
    assert (accepted.status, accepted.description) == (None, None)
    assert accepted.extra == {"state": "QUEUED"}
    assert json.loads(accepted.raw_body) == {"ledgerIdentifier": "L-7", "state": "QUEUED"}


async def test_submit_payments_answered_with_a_json_array_is_a_success_without_receipts(
    confirma_client: ConfirmaClient,
) -> None:
    payment = AccountingPayment(
        payment_identifier="P-7",
        invoice_number="3007",
        payment_date=TODAY,
        amount=Decimal("110.00"),
        currency="EUR",
        payment_reference="1337109",
        source_name="Matti",
    )

    submitted = await confirma_client.accounting.submit_payments(
        AccountingPaymentsSubmission(payments=[payment])
    )

    assert submitted.payments == []
    assert json.loads(submitted.raw_body) == [{"paymentIdentifier": "P-7", "state": "QUEUED"}]


async def test_create_client_with_the_aliases_reads_the_token_from_api_key(
    confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    created = await confirma_client.onboarding.create_client(
        new_client_request(), partner_token=confirma_sandbox.partner_token
    )

    answer = json.loads(created.raw_body)
    assert created.access_token == answer["apiKey"]
    assert created.client_id == answer["id"]
    assert created.customer_code == answer["customerNumber"]
    assert created.client_id in confirma_sandbox.state.tokens.clients
    async with ConfirmaClient(
        api_key=created.access_token, base_url=confirma_sandbox.base_url, config=FAST
    ) as new_client:
        assert (await new_client.tokens.validate_token()).is_valid


async def test_create_client_without_the_aliases_raises_token_not_found_holding_the_token_unshown(
    confirma_sandbox: Sandbox, bare_client: ConfirmaClient
) -> None:
    with pytest.raises(TokenNotFoundError) as caught:
        await bare_client.onboarding.create_client(
            new_client_request(), partner_token=confirma_sandbox.partner_token
        )

    error = caught.value
    token = json.loads(error.raw_body)["apiKey"]
    assert confirma_sandbox.state.tokens.get(token) is not None  # the client was created
    assert "apiKey" in error.keys
    assert token not in str(error)
    assert token not in repr(error)
