"""``client.with_options(...)``: per-call timeout, retries and headers on a shared-client view."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import attrs
import pytest
from aiohttp import web
from aioresponses import aioresponses

from confirma_async import (
    APITimeoutError,
    ClientConfig,
    ConfigurationError,
    ConfirmaClient,
    ServerError,
)
from confirma_async.transport._options import answer_options, client_timeout

from .batch_fakes import invoice
from .conftest import BASE, FAST, TOKEN, calls, url

DAY = date(2026, 1, 5)


async def test_a_timeout_applies_to_the_views_call_only(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[], repeat=True)

    await client.with_options(timeout=2.5).payments.payments_window(DAY, DAY)
    await client.payments.payments_window(DAY, DAY)

    view_call, plain_call = calls(mocked, "GET", "/payments")
    assert view_call.kwargs["timeout"] == aiohttp.ClientTimeout(
        total=2.5, connect=2.5, sock_connect=2.5, sock_read=2.5
    )
    assert "timeout" not in plain_call.kwargs  # the session's own timeouts apply


async def test_an_aiohttp_client_timeout_is_used_as_given(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[])
    timeout = aiohttp.ClientTimeout(total=9, sock_read=1)

    await client.with_options(timeout=timeout).payments.payments_window(DAY, DAY)

    assert calls(mocked, "GET", "/payments")[0].kwargs["timeout"] == timeout


async def test_headers_go_with_every_call_of_the_view_and_a_calls_own_win(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[], repeat=True)
    view = client.with_options(headers={"X-Tenant": "a", "X-Trace": "view"})

    await view.payments.payments_window(DAY, DAY)
    await view.payments.payments_window(DAY, DAY, extra_headers={"x-trace": "call"})
    await client.payments.payments_window(DAY, DAY)

    first, second, plain = (c.kwargs["headers"] for c in calls(mocked, "GET", "/payments"))
    assert (first["X-Tenant"], first["X-Trace"]) == ("a", "view")
    assert (second["X-Tenant"], second["X-Trace"]) == ("a", "call")
    assert "X-Tenant" not in plain
    assert first["X-Api-Key"] == TOKEN  # the shared token


async def test_max_retries_applies_to_the_view_only(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), status=503, repeat=True)

    with pytest.raises(ServerError):
        await client.with_options(max_retries=0).payments.payments_window(DAY, DAY)
    assert len(calls(mocked, "GET", "/payments")) == 1
    with pytest.raises(ServerError):
        await client.payments.payments_window(DAY, DAY)
    assert len(calls(mocked, "GET", "/payments")) == 1 + 1 + FAST.max_retries


async def test_a_view_shares_the_token_and_closing_it_closes_nothing(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[], repeat=True)
    async with client.with_options(timeout=5) as view:
        assert view.tokens is client.tokens
        await view.payments.payments_window(DAY, DAY)
    assert not client.closed
    await client.payments.payments_window(DAY, DAY)  # the session is still open
    await client.aclose()
    assert view.closed


def test_views_add_up() -> None:
    client = ConfirmaClient(api_key=TOKEN, base_url=BASE)
    view = client.with_options(headers={"X-A": "1"}).with_options(
        headers={"X-B": "2"}, max_retries=1
    )
    assert view.transport._view_headers == {"X-A": "1", "X-B": "2"}
    assert view.transport._retries.max_retries == 1
    assert client.transport._retries.max_retries == client.config.max_retries


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": "5"}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"headers": {"X-Api-Key": "other"}}, "headers.X-Api-Key"),
        ({"headers": {"X-Bad": "a\r\nb"}}, "headers.X-Bad"),
    ],
)
def test_bad_options_are_refused_naming_the_option(options: dict[str, object], field: str) -> None:
    client = ConfirmaClient(api_key=TOKEN, base_url=BASE)
    with pytest.raises(ConfigurationError) as caught:
        client.with_options(**options)  # type: ignore[arg-type]
    assert caught.value.field == field


# --- over a real socket: the view's timeout fires, the client's call is not bound by it ----------


async def _hanging_api(release: asyncio.Event) -> AsyncIterator[str]:
    async def payments(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response([])

    app = web.Application()
    app.router.add_get("/api/v1/partner/payments", payments)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1/partner"
    finally:
        await runner.cleanup()


async def test_a_views_timeout_does_not_bind_the_clients_own_calls() -> None:
    release = asyncio.Event()
    servers = _hanging_api(release)
    base_url = await anext(servers)
    try:
        async with ConfirmaClient(api_key=TOKEN, base_url=base_url, config=FAST) as client:
            plain = asyncio.create_task(client.payments.payments_window(DAY, DAY))
            with pytest.raises(APITimeoutError):
                await client.with_options(timeout=0.05, max_retries=0).payments.payments_window(
                    DAY, DAY
                )
            assert not plain.done()  # still waiting: the 0.05 s did not apply to it
            release.set()
            assert await plain == []
    finally:
        await servers.aclose()


async def test_a_per_call_timeout_adds_no_read_timer_to_a_client_without_one(
    mocked: aioresponses,
) -> None:
    mocked.get(url("/payments"), payload=[])
    config = ClientConfig(read_timeout=None)
    async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=config) as client:
        await client.with_options(timeout=3).payments.payments_window(DAY, DAY)
    timeout = calls(mocked, "GET", "/payments")[0].kwargs["timeout"]
    assert (timeout.total, timeout.sock_read) == (3.0, None)


# A write whose answer is a short acknowledgement (POST /invoice) runs without the per-read timer
# of ClientConfig.read_timeout: the total timeout bounds it (confirma_async.transport._options).


async def test_an_invoice_is_sent_without_the_per_read_timer(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(url("/invoice"), status=201, payload={"invoiceNumber": 1})

    await client.invoices.create(invoice(1))

    timeout = calls(mocked, "POST", "/invoice")[0].kwargs["timeout"]
    assert timeout == aiohttp.ClientTimeout(
        total=FAST.total_timeout,
        connect=FAST.pool_timeout,
        sock_connect=FAST.connect_timeout,
        sock_read=None,
    )


async def test_listings_keep_the_per_read_timer(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[])

    await client.payments.payments_window(DAY, DAY)

    assert "timeout" not in calls(mocked, "GET", "/payments")[0].kwargs  # the session's, with it


async def test_an_explicit_client_timeout_applies_to_invoices_as_given(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(url("/invoice"), status=201, payload={"invoiceNumber": 1})
    timeout = aiohttp.ClientTimeout(total=9, sock_read=1)

    await client.with_options(timeout=timeout).invoices.create(invoice(1))

    assert calls(mocked, "POST", "/invoice")[0].kwargs["timeout"] == timeout


async def test_without_a_read_timeout_an_invoice_runs_under_the_sessions_timeouts(
    mocked: aioresponses,
) -> None:
    mocked.post(url("/invoice"), status=201, payload={"invoiceNumber": 1})
    config = ClientConfig(read_timeout=None)
    async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=config) as client:
        await client.invoices.create(invoice(1))
    assert "timeout" not in calls(mocked, "POST", "/invoice")[0].kwargs


def test_on_a_callers_session_only_the_configurations_read_timer_is_dropped() -> None:
    config = ClientConfig()
    own = {"timeout": client_timeout(config), "proxy": "http://proxy.example:3128"}
    assert answer_options(config, own) == {
        "timeout": attrs.evolve(client_timeout(config), sock_read=None),
        "proxy": "http://proxy.example:3128",
    }
    explicit = {"timeout": aiohttp.ClientTimeout(total=5, sock_read=2)}
    assert answer_options(config, explicit) is explicit
