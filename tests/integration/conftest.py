"""Integration tests: the real client over real sockets against the in-process sandbox.

A test opts into both sandbox dialects by asking for the ``dialect`` fixture: it then runs once
against the ``reference`` dialect (the shapes ``docs/api-assumptions.md`` chose, client without
aliases) and once against the ``alternate`` one (every guessed shape spelt otherwise, client with
``ALTERNATE_ALIASES``). ``confirma_sandbox`` and ``confirma_client`` follow it whatever sandbox
configuration the module sets. Tests that do not ask for it run against the reference dialect only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any, cast

import pytest
import pytest_asyncio

from confirma_async import (
    BuyerParty,
    ClientConfig,
    ConfirmaClient,
    ConfirmaPartner,
    Distribution,
    DistributionMethod,
    Invoice,
    InvoiceAmounts,
    InvoiceHeader,
    InvoiceRequest,
    Processing,
)
from confirma_async.testing import Clock, DialectName, Sandbox, SandboxConfig

TODAY = date(2026, 1, 5)  # ManualClock's default start

# Tiny backoff so retries cost microseconds; Retry-After is honoured but capped at 1 ms.
FAST = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, retry_after_cap=0.001, max_retries=4)


DIALECTS: tuple[DialectName, ...] = ("reference", "alternate")

ALTERNATE_ALIASES = [
    "DistributionPage.distributions=records",
    "DistributionRecord.invoice_number=invoiceNo",
    "DistributionRecord.invoice_date=invoiceDay",
    "DistributionRecord.case_id=agencyCaseId",
    "DistributionRecord.distribution_method=channel",
    "DistributionRecord.distribution_status=deliveryState",
    "DistributionRecord.payment_control_status=paymentControlState",
    "DistributionRecord.created_at=created",
    "DistributionRecord.updated_at=lastModified",
    "DistributionRecord.delivered_at=deliveryTime",
    "DistributionFilters.default_last30_days=defaultLast30DaysApplied",
    "CaseBalance.costs_amount=costsAmountOpen",
    "CaseBalance.total_amount=openAmount",
    "Case.payments=paymentHistory",
    "CasePayment.payment_date=date",
    "CasePayment.amount=sum",
    "CasePayment.reference=ref",
    "Case.events=timeline",
    "CaseEvent.event_date=timestamp",
    "CaseEvent.type=eventType",
    "CaseEvent.description=text",
    "Payment.amount=paidAmount",
    "Payment.currency=currencyCode",
    "AccountingInvoiceStatusList.invoices=items",
    "AccountingInvoiceStatus.source_identifier=identifier",
    "AccountingInvoiceStatus.invoice_number=invoiceNo",
    "AccountingInvoiceStatus.invoice_date=invoiceDay",
    "AccountingInvoiceStatus.sync_date=syncedOn",
    "AccountingInvoiceStatus.status=syncStatus",
    "AccountingInvoiceStatus.description=statusText",
    "SubmissionStatus.source_identifier=ledgerIdentifier",
    "NewClient.client_id=id",
    "NewClient.customer_code=customerNumber",
    "NewClient.payment_reference_prefix=referencePrefix",
    "NewClient.access_token=apiKey",
    "NewClient.expires_at=validUntil",
    "RenewedToken.expires_at=validUntil",
]
"""The aliases a user adds after running ``confirma doctor`` against the alternate dialect."""


def aliases_for(dialect: DialectName) -> list[str]:
    """The wire aliases a client needs to read ``dialect``'s answers."""
    return list(ALTERNATE_ALIASES) if dialect == "alternate" else []


@pytest.fixture(params=DIALECTS, ids=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> DialectName:
    """The sandbox dialect of a test that opts in (it then runs once per dialect)."""
    return cast(DialectName, request.param)


def opted_in_dialect(request: pytest.FixtureRequest) -> DialectName | None:
    """The dialect the running test asked for, ``None`` if it did not ask for ``dialect``."""
    if "dialect" not in request.fixturenames:
        return None
    return cast(DialectName, request.getfixturevalue("dialect"))


@pytest.fixture
def confirma_client_config() -> ClientConfig:
    return FAST


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return SandboxConfig(distribution_failure_rate=0, debtor_payment_rate=0, sync_failure_rate=0)


@pytest.fixture
def confirma_wire_aliases(request: pytest.FixtureRequest) -> list[str]:
    """The ``wire_aliases`` of ``confirma_client``: none, or the alternate dialect's."""
    return aliases_for(opted_in_dialect(request) or "reference")


@pytest_asyncio.fixture
async def confirma_sandbox(
    request: pytest.FixtureRequest,
    confirma_sandbox_config: SandboxConfig,
    confirma_sandbox_clock: Clock | None,
) -> AsyncIterator[Sandbox]:
    """The plugin's sandbox, speaking the opted-in dialect over the module's configuration."""
    config = confirma_sandbox_config
    chosen = opted_in_dialect(request)
    if chosen is not None:
        config = dataclasses.replace(config, dialect=chosen)
    async with Sandbox(config, clock=confirma_sandbox_clock) as sandbox:
        yield sandbox


@pytest_asyncio.fixture
async def confirma_client(
    confirma_sandbox: Sandbox,
    confirma_client_config: ClientConfig,
    confirma_wire_aliases: list[str],
) -> AsyncIterator[ConfirmaClient]:
    """The plugin's client, with the aliases the sandbox's dialect needs."""
    async with ConfirmaClient(
        api_key=confirma_sandbox.client_token,
        base_url=confirma_sandbox.base_url,
        config=confirma_client_config,
        wire_aliases=confirma_wire_aliases,
    ) as client:
        yield client


@pytest_asyncio.fixture
async def partner(confirma_sandbox: Sandbox) -> AsyncIterator[ConfirmaPartner]:
    """A partner on the sandbox (its partner token), at most 4 requests in flight."""
    async with ConfirmaPartner(
        partner_token=confirma_sandbox.partner_token,
        base_url=confirma_sandbox.base_url,
        config=FAST,
        max_in_flight=4,
    ) as p:
        yield p


def make_invoice(
    number: int,
    *,
    day: date = TODAY,
    amount: str = "124.50",
    payment_control: bool = True,
    accounting: bool = False,
    **extra: Any,
) -> InvoiceRequest:
    """A valid invoice built from the public models."""
    return InvoiceRequest(
        processing=Processing(
            payment_control_enabled=payment_control, accounting_invoice_enabled=accounting
        ),
        distribution=Distribution(method=DistributionMethod.EMAIL),
        invoice=Invoice(
            header=InvoiceHeader(
                number=number,
                date=day,
                due_date=date.fromordinal(day.toordinal() + 14),
                currency_code="EUR",
            ),
            amounts=InvoiceAmounts(total_amount=Decimal(amount)),
            buyer=BuyerParty(
                name="Matti Meikäläinen", email="matti@example.com", country_code="FI"
            ),
        ),
        **extra,
    )
