"""Finding 5 and 9: what fails before a request leaves is a known failure, never outcome unknown."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from aiohttp import web

from confirma_async import (
    APITimeoutError,
    BatchStatus,
    ClientConfig,
    ConfirmaClient,
    RequestValidationError,
)

from ..unit.batch_fakes import invoice
from .servers import SEEN, ok, serve

PREFIX = "/api/v1/partner"


def unwritable_invoice(number: int):  # type: ignore[no-untyped-def]
    request = invoice(number)
    object.__setattr__(request, "extra", {"attachment": object()})  # not JSON
    return request


async def test_a_body_that_cannot_be_written_is_a_known_validation_error() -> None:
    routes = {("POST", PREFIX + "/invoice"): ok}
    async with (
        serve(routes) as (base, app),
        ConfirmaClient(api_key="k", base_url=base + PREFIX) as c,
    ):
        with pytest.raises(RequestValidationError) as caught:
            await c.invoices.create(unwritable_invoice(7))
    assert not caught.value.outcome_unknown
    assert app[SEEN] == []


async def test_a_batch_item_that_cannot_be_written_fails_known_without_a_request() -> None:
    routes = {("POST", PREFIX + "/invoice"): ok}
    async with (
        serve(routes) as (base, app),
        ConfirmaClient(api_key="k", base_url=base + PREFIX) as c,
    ):
        [result] = [r async for r in c.batch().submit_invoices([unwritable_invoice(7)])]
    assert result.status is BatchStatus.FAILED
    assert not result.outcome_unknown
    assert isinstance(result.error, RequestValidationError)
    assert app[SEEN] == []


async def test_a_request_queued_for_a_connection_that_never_comes_is_not_sent() -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def held(request: web.Request) -> web.Response:
        arrived.set()
        await release.wait()
        return web.json_response([])

    config = ClientConfig(pool_limit=1, pool_timeout=0.2, total_timeout=5, max_retries=0)
    routes = {("GET", PREFIX + "/payments"): held, ("POST", PREFIX + "/invoice"): ok}
    async with (
        serve(routes) as (base, app),
        ConfirmaClient(api_key="k", base_url=base + PREFIX, config=config) as client,
    ):
        day = date(2026, 1, 15)
        first = asyncio.create_task(client.payments.payments_window(day, day))
        await arrived.wait()  # the first request holds the only connection
        with pytest.raises(APITimeoutError) as caught:
            await client.invoices.create(invoice(7))
        release.set()
        await first
    assert not caught.value.outcome_unknown  # waited for a connection: never sent
    assert [r["method"] for r in app[SEEN]] == ["GET"]
