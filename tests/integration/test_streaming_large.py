"""Streaming 100,000 distribution records from the sandbox, in both dialects, over real sockets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from confirma_async import ClientConfig, ConfirmaClient
from confirma_async.testing import SandboxConfig
from confirma_async.testing._generator import GEN_INVOICE_BASE, PER_DAY

DAYS = 20
PER = 5_000  # 100,000 records in all
END = date(2026, 1, 4)  # the day before the ManualClock's start: the last generated day
START = END - timedelta(days=DAYS - 1)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("dialect")]


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        generated_records=DAYS * PER, generated_days=DAYS, max_records_per_response=PER
    )


@pytest.fixture
def confirma_client_config() -> ClientConfig:
    return ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, max_retries=1)


async def test_a_hundred_thousand_records_stream_complete_in_order_once_each(
    confirma_client: ConfirmaClient,
) -> None:
    pager = confirma_client.invoices.distributions(START, END)
    day, count = START, 0
    async for record in pager:
        k, i = divmod(count, PER)
        assert record.invoice_number == GEN_INVOICE_BASE + k * PER_DAY + i
        assert record.invoice_date == START + timedelta(days=k)
        assert record.distribution_status is not None  # read in both dialects
        day = record.invoice_date
        count += 1
    assert count == DAYS * PER
    assert day == END
    assert pager.stats.duplicates == 0
