"""The send watch: marked while a POST may have been applied, cleared by an answer proving not."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from confirma_async import ConfirmaClient, ConfirmaError
from confirma_async._core.sends import WATCH, watching

from .batch_fakes import invoice
from .conftest import url


async def test_a_post_is_marked_while_it_is_out(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    seen: list[bool] = []

    def answer(*_: Any, **__: Any) -> CallbackResult:
        watch = WATCH.get()
        assert watch is not None
        seen.append(watch.possibly_applied)
        return CallbackResult(status=201, payload={"invoiceNumber": 7})

    mocked.post(url("/invoice"), callback=answer)
    with watching() as watch:
        await client.invoices.create(invoice(7))

    assert seen == [True]
    assert watch.possibly_applied  # answered 2xx: applied


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 400, "payload": {"message": "no"}},
        {"status": 401, "payload": {"message": "no"}},
        {"status": 429, "payload": {"message": "slow down"}},
        {"status": 503, "payload": {"message": "down"}},
        {"exception": aiohttp.ServerDisconnectedError()},
        {"exception": aiohttp.ConnectionTimeoutError()},
        {"exception": TimeoutError()},
    ],
    ids=["400", "401", "429", "503", "disconnected", "connect-timeout", "timeout"],
)
async def test_a_failed_post_leaves_the_watch_as_its_error_leaves_the_outcome(
    mocked: aioresponses, client: ConfirmaClient, answer: dict[str, Any]
) -> None:
    mocked.post(url("/invoice"), repeat=True, **answer)
    mocked.get(url("/renew"), status=503, repeat=True)  # after a 401: the renewal fails too
    with watching() as watch, pytest.raises(ConfirmaError) as caught:
        await client.invoices.create(invoice(7))

    assert watch.possibly_applied is caught.value.outcome_unknown


async def test_a_get_is_never_marked(mocked: aioresponses, client: ConfirmaClient) -> None:
    mocked.get(url("/invoice/case"), status=503, repeat=True)
    with watching() as watch, pytest.raises(ConfirmaError):
        await client.invoices.case(invoice_number=7)

    assert not watch.possibly_applied


async def test_requests_outside_a_watching_block_mark_nothing(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(url("/invoice"), status=503)
    with pytest.raises(ConfirmaError):
        await client.invoices.create(invoice(7))

    assert WATCH.get() is None
