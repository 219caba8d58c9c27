"""A POST answered 2xx whose body is lost on the way is still a success (A37), over real sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from confirma_async import ClientConfig, ConfirmaClient, InvoiceCreated

from .conftest import make_invoice

FAST = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, max_retries=2)
POSTS = web.AppKey("posts", list[int])


async def _cut_after_headers(request: web.Request) -> web.StreamResponse:
    await request.read()
    request.app[POSTS].append(1)
    response = web.StreamResponse(status=201, headers={"Content-Length": "100"})
    response.content_type = "application/json"
    await response.prepare(request)
    await response.write(b'{"invoiceNum')
    assert request.transport is not None
    request.transport.abort()  # the rest of the body never comes
    return response


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, web.Application]]:
    app = web.Application()
    app[POSTS] = []
    app.router.add_post("/api/v1/partner/invoice", _cut_after_headers)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/api/v1/partner", app
    finally:
        await runner.cleanup()


async def test_a_201_whose_body_is_cut_is_a_created_invoice_sent_once(
    server: tuple[str, web.Application],
) -> None:
    base_url, app = server
    async with ConfirmaClient(api_key="k", base_url=base_url, config=FAST) as client:
        created = await client.invoices.create(make_invoice(7))
    assert isinstance(created, InvoiceCreated)
    assert created.invoice_number is None
    assert created.raw_body == b""
    assert len(app[POSTS]) == 1
