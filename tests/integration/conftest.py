"""Integration tests: the real client over real sockets against the in-process sandbox."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from confirma_async import (
    BuyerParty,
    ClientConfig,
    Distribution,
    DistributionMethod,
    Invoice,
    InvoiceAmounts,
    InvoiceHeader,
    InvoiceRequest,
    Processing,
)
from confirma_async.testing import SandboxConfig

TODAY = date(2026, 1, 5)  # ManualClock's default start

# Tiny backoff so retries cost microseconds; Retry-After is honoured but capped at 1 ms.
FAST = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, retry_after_cap=0.001, max_retries=4)


@pytest.fixture
def confirma_client_config() -> ClientConfig:
    return FAST


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return SandboxConfig(distribution_failure_rate=0, debtor_payment_rate=0, sync_failure_rate=0)


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
