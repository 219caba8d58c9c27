"""Finding 4: response bodies are capped while they are read; memory stays bounded."""

from __future__ import annotations

import tracemalloc
from datetime import date, timedelta

import pytest
from aiohttp import web

from confirma_async import (
    APIStatusError,
    ClientConfig,
    ConfirmaClient,
    ResponseTooLargeError,
)

from ..unit.batch_fakes import invoice
from .servers import serve

PREFIX = "/api/v1/partner"
GIB = 2**30
CAP = 2**20
DAY = date(2026, 1, 15)


async def endless(request: web.Request) -> web.StreamResponse:
    """A 1 GiB JSON-ish answer, written lazily in 64 KiB chunks (no Content-Length)."""
    await request.read()
    response = web.StreamResponse(status=200 if request.method == "GET" else 201)
    response.content_type = "application/json"
    await response.prepare(request)
    chunk = b" " * 65536
    try:
        for _ in range(GIB // len(chunk)):
            await response.write(chunk)
    except (ConnectionResetError, RuntimeError):
        pass  # the client stopped reading: that is the point
    return response


async def huge_declared(request: web.Request) -> web.Response:
    return web.Response(body=b"[]", headers={"Content-Length": str(GIB)}, status=200)


def client(base: str) -> ConfirmaClient:
    config = ClientConfig(max_retries=0, max_response_bytes=CAP, max_error_body_bytes=1024)
    return ConfirmaClient(api_key="k", base_url=base + PREFIX, config=config)


async def test_a_1_gib_listing_stops_at_the_cap_with_bounded_memory() -> None:
    async with serve({("GET", PREFIX + "/payments"): endless}) as (base, _), client(base) as c:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as caught:
                await c.payments.payments_window(DAY, DAY)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.limit == CAP
    assert peak < 8 * CAP  # the cap and a chunk, not the gigabyte


async def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    routes = {("GET", PREFIX + "/payments"): huge_declared}
    async with serve(routes) as (base, _), client(base) as c:
        with pytest.raises(ResponseTooLargeError):
            await c.payments.payments_window(DAY, DAY)


async def test_an_error_body_is_truncated_at_its_own_cap() -> None:
    async def big_error(request: web.Request) -> web.Response:
        return web.Response(status=400, body=b"x" * (10 * CAP), content_type="text/plain")

    async with serve({("GET", PREFIX + "/payments"): big_error}) as (base, _), client(base) as c:
        with pytest.raises(APIStatusError) as caught:
            await c.payments.payments_window(DAY, DAY)
    assert isinstance(caught.value.body, str)
    assert len(caught.value.body) == 1024


async def test_a_huge_answer_to_a_post_is_still_a_success_without_its_body() -> None:
    async with serve({("POST", PREFIX + "/invoice"): endless}) as (base, _), client(base) as c:
        created = await c.invoices.create(invoice(7))
    assert created.raw_body == b""


async def test_a_listing_window_too_large_to_read_is_split_like_a_413() -> None:
    async def per_window(request: web.Request) -> web.StreamResponse:
        start = date.fromisoformat(request.query["fromDate"])
        end = date.fromisoformat(request.query["toDate"])
        if end > start:
            return await endless(request)
        return web.json_response([])

    routes = {("GET", PREFIX + "/payments"): per_window}
    async with serve(routes) as (base, _), client(base) as c:
        pager = c.payments.list(DAY, DAY + timedelta(days=3), window=timedelta(days=4))
        assert [p async for p in pager] == []
    assert pager.stats.splits >= 1
