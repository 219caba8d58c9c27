"""Unfetched-only settlement reads change what the server returns next (A13): never asked twice.

The server marks what an ``unfetchedOnly`` read returns as fetched, so a second ask after a lost
answer returns nothing of it. Such a read is re-sent only when the failure proves it was not
applied (429, never connected), aiohttp does not re-send it on a broken connection, and a pager
never splits such a window to ask again: the failure says to re-read those dates.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from confirma_async import (
    ActionCode,
    ActionData,
    ActionsRequest,
    APIConnectionError,
    ConfirmaClient,
    InvoiceAction,
    PaginationError,
    RequestValidationError,
    ServerError,
)
from confirma_async.testing import Sandbox

from .conftest import TODAY, make_invoice

NUMBER = 2_601


async def settle_one(client: ConfirmaClient, sandbox: Sandbox, number: int = NUMBER) -> None:
    """One invoice paid in full today; its settlement is due two days later."""
    await client.invoices.create(make_invoice(number, amount="50.00"))
    payment = ActionData(invoice_number=number, amount=Decimal("50.00"), payment_date=TODAY)
    action = InvoiceAction(code=ActionCode.DIRECT_PAYMENT, data=payment)
    await client.invoices.create_actions(ActionsRequest(actions=[action]))
    sandbox.advance(timedelta(days=2))


def reads(sandbox: Sandbox) -> int:
    return sandbox.state.requests_received("GET", "/settlements")


async def test_an_unfetched_only_read_whose_answer_was_lost_is_not_sent_again(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    await settle_one(confirma_client, confirma_sandbox)
    confirma_sandbox.faults.drop_next(1, "GET", "/settlements", commit=True)
    with pytest.raises(APIConnectionError) as raised:
        await confirma_client.payments.settlements_window(unfetched_only=True)
    assert raised.value.outcome_unknown
    assert reads(confirma_sandbox) == 1  # neither the client nor aiohttp asked again
    # What it marked fetched is still there by date.
    by_date = await confirma_client.payments.settlements_window(TODAY, TODAY + timedelta(days=2))
    assert len(by_date.settlements) == 1


async def test_an_unfetched_only_read_that_meets_a_5xx_is_not_retried(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.fail_next(1, "GET", "/settlements", status=503)
    with pytest.raises(ServerError) as raised:
        await confirma_client.payments.settlements_window(unfetched_only=True)
    assert raised.value.outcome_unknown
    assert reads(confirma_sandbox) == 1


async def test_an_unfetched_only_read_refused_with_429_is_sent_again(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    await settle_one(confirma_client, confirma_sandbox)
    confirma_sandbox.faults.rate_limit_next(1, "GET", "/settlements")
    page = await confirma_client.payments.settlements_window(unfetched_only=True)
    assert len(page.settlements) == 1
    assert reads(confirma_sandbox) == 2


async def test_an_unfetched_only_pager_ends_at_a_window_that_may_have_been_answered(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.fail_next(1, "GET", "/settlements", status=503)
    pager = confirma_client.payments.settlements(
        TODAY, TODAY + timedelta(days=2), unfetched_only=True, window=timedelta(days=3)
    )
    with pytest.raises(PaginationError) as raised:
        await pager.to_list()
    assert "re-read these dates without unfetched_only" in str(raised.value.__cause__)
    assert reads(confirma_sandbox) == 1  # not split into two windows asked again


async def test_a_dated_pager_still_splits_a_failing_window(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    await settle_one(confirma_client, confirma_sandbox)
    confirma_sandbox.faults.fail_next(5, "GET", "/settlements", status=503)  # past the retries
    pager = confirma_client.payments.settlements(
        TODAY, TODAY + timedelta(days=2), window=timedelta(days=3)
    )
    assert len(await pager.to_list()) == 1
    assert pager.stats.splits == 1


async def test_an_unfetched_only_pager_fetches_no_window_before_the_loop_reaches_it(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    # Found while writing the pager chaos test: with prefetch, a loop that stopped after the
    # first settlement had the next window's marked fetched unseen, lost to later unfetched reads.
    for day in range(3):  # one settlement on each of three days (two days apart)
        await settle_one(confirma_client, confirma_sandbox, NUMBER + day)
    first, *_, last = sorted(s.settlement_date for s in confirma_sandbox.state.settlements())
    async with confirma_client.payments.settlements(first, last, unfetched_only=True) as pager:
        async for _ in pager:
            break
    assert reads(confirma_sandbox) == 1  # nothing asked ahead of the loop
    rest = await confirma_client.payments.settlements(first, last, unfetched_only=True).to_list()
    assert len(rest) == 2  # every settlement the loop did not reach is still unfetched


def test_prefetch_is_refused_for_an_unfetched_only_pager(confirma_client: ConfirmaClient) -> None:
    with pytest.raises(RequestValidationError, match="prefetch") as raised:
        confirma_client.payments.settlements(TODAY, TODAY, unfetched_only=True, prefetch=2)
    assert "unfetched_only=True" in str(raised.value)


def test_a_size_hint_is_refused_for_an_unfetched_only_pager(
    confirma_client: ConfirmaClient,
) -> None:
    with pytest.raises(RequestValidationError, match="max_records_per_response") as raised:
        confirma_client.payments.settlements(
            TODAY, TODAY, unfetched_only=True, max_records_per_response=100
        )
    assert "unfetched_only=True" in str(raised.value)
