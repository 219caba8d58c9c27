"""outcome_unknown is right on every path: only a 4xx proves a POST was not applied (A37)."""

from __future__ import annotations

from datetime import date
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from confirma_async import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BatchStatus,
    ConfirmaClient,
    ConfirmaError,
    DistributionRecord,
    LookupInconclusiveError,
    ServerError,
)

from .batch_fakes import FakeCfis, invoice, record
from .conftest import BASE, FAST, TOKEN, calls, url

DAY = date(2026, 1, 15)


async def _post_error(client: ConfirmaClient) -> ConfirmaError:
    with pytest.raises(ConfirmaError) as caught:
        await client.invoices.create(invoice(7))
    return caught.value


@pytest.mark.parametrize("status", [400, 403, 404, 409, 413, 422, 429])
async def test_a_4xx_answer_proves_a_post_was_not_applied(
    mocked: aioresponses, client: ConfirmaClient, status: int
) -> None:
    mocked.post(url("/invoice"), status=status, payload={"message": "no"}, repeat=True)
    error = await _post_error(client)
    assert isinstance(error, APIStatusError)
    assert error.status == status
    assert not error.outcome_unknown


@pytest.mark.parametrize("status", [300, 304, 500, 502, 503, 504])
async def test_a_3xx_or_5xx_answer_leaves_a_post_outcome_unknown(
    mocked: aioresponses, client: ConfirmaClient, status: int
) -> None:
    mocked.post(url("/invoice"), status=status, body="?", repeat=True)
    error = await _post_error(client)
    assert error.outcome_unknown
    assert len(calls(mocked, "POST", "/invoice")) == 1  # never re-sent blind


async def test_a_connection_lost_after_sending_leaves_a_post_outcome_unknown(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(url("/invoice"), exception=aiohttp.ServerDisconnectedError())
    error = await _post_error(client)
    assert isinstance(error, APIConnectionError)
    assert error.outcome_unknown


async def test_a_timeout_after_sending_leaves_a_post_outcome_unknown(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(url("/invoice"), exception=TimeoutError())
    assert (await _post_error(client)).outcome_unknown


async def test_a_get_that_failed_is_never_outcome_unknown(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), status=503, body="down", repeat=True)
    with pytest.raises(ServerError) as caught:
        await client.payments.payments_window(DAY, DAY)
    assert not caught.value.outcome_unknown


@pytest.mark.parametrize("renewal", [500, 401, "reset"])
async def test_a_401_whose_renewal_fails_is_the_callers_401_caused_by_the_renewal(
    mocked: aioresponses, client: ConfirmaClient, renewal: Any
) -> None:
    mocked.post(url("/invoice"), status=401, payload={"message": "expired"})
    if renewal == "reset":
        mocked.get(url("/renew"), exception=aiohttp.ServerDisconnectedError())
    else:
        mocked.get(url("/renew"), status=renewal, payload={"message": "renewal refused"})

    error = await _post_error(client)

    assert isinstance(error, AuthenticationError)
    assert (error.method, error.path) == ("POST", "/invoice")
    assert not error.outcome_unknown  # the POST was answered 401: not applied
    assert isinstance(error.__cause__, ConfirmaError)
    assert "/renew" in str(error.__cause__)
    assert any("renewing the token failed" in note for note in error.__notes__)
    assert len(calls(mocked, "POST", "/invoice")) == 1


async def test_find_distribution_returns_none_only_when_the_answer_proves_absence(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    page = {"metaData": {"totalCount": 1}, "distributions": [record(8)]}
    mocked.get(url("/invoice/distribution"), payload=page)
    assert await client.invoices.find_distribution(7, DAY) is None


@pytest.mark.parametrize(
    "page",
    [
        {"metaData": {"totalCount": 1}, "records": [record(7)]},
        {"metaData": {"totalCount": 1}, "distributions": [{"invoiceNo": 7}]},
        {"metaData": {"totalCount": 3}, "distributions": [record(8)]},
        {"metaData": {"totalCount": 1}},
    ],
    ids=["records under another key", "no readable invoice number", "answer cut", "no records"],
)
async def test_find_distribution_raises_when_the_answer_cannot_tell(
    mocked: aioresponses, client: ConfirmaClient, page: dict[str, Any]
) -> None:
    mocked.get(url("/invoice/distribution"), payload=page)
    with pytest.raises(LookupInconclusiveError) as caught:
        await client.invoices.find_distribution(7, DAY)
    assert "wire alias" in str(caught.value)


async def test_an_inconclusive_lookup_leaves_the_item_failed_unknown_and_never_resends(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    cfis = FakeCfis(mocked)
    cfis.plan[7] = ["commit-500"]
    cfis.lookup_plan[7] = ["unreadable"]

    [result] = [r async for r in client.batch().submit_invoices([invoice(7)])]

    assert result.status is BatchStatus.FAILED
    assert result.outcome_unknown
    assert isinstance(result.error, ServerError)  # what happened to the POST
    assert isinstance(result.lookup_error, LookupInconclusiveError)  # why it stays unknown
    assert result.lookup_error.__context__ is result.error  # chained
    assert (cfis.posts[7], cfis.stored[7]) == (1, 1)


async def test_a_failed_lookup_is_kept_on_the_result_chained_to_the_posts_error(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    cfis = FakeCfis(mocked)
    cfis.plan[7] = ["commit-reset"]
    cfis.lookup_plan[7] = ["400"]

    [result] = [r async for r in client.batch().submit_invoices([invoice(7)])]

    assert result.status is BatchStatus.FAILED
    assert result.outcome_unknown
    assert isinstance(result.error, APIConnectionError)
    assert isinstance(result.lookup_error, APIStatusError)
    assert result.lookup_error.status == 400
    assert result.lookup_error.__context__ is result.error


async def test_a_lookup_through_an_alias_reconciles_the_item(mocked: aioresponses) -> None:
    async with ConfirmaClient(
        api_key=TOKEN,
        base_url=BASE,
        config=FAST,
        wire_aliases=[
            "DistributionPage.distributions=records",
            "DistributionRecord.invoice_number=invoiceNo",
        ],
    ) as client:
        cfis = FakeCfis(mocked)
        cfis.plan[7] = ["commit-500"]
        cfis.lookup_plan[7] = ["unreadable"]
        [result] = [r async for r in client.batch().submit_invoices([invoice(7)])]

    assert result.status is BatchStatus.ALREADY_EXISTS
    assert isinstance(result.response, DistributionRecord)
    assert result.response.invoice_number == 7
    assert (cfis.posts[7], cfis.stored[7]) == (1, 1)
