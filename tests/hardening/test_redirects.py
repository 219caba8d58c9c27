"""Finding 2: the API key never follows a redirect to another host."""

from __future__ import annotations

import pytest
from aiohttp import web

from confirma_async import ClientConfig, ConfirmaClient, RedirectError

from ..unit.batch_fakes import invoice
from .servers import SEEN, ok, serve

KEY = "key-NEVER-ELSEWHERE-77"
PREFIX = "/api/v1/partner"


def redirect_to(location: str, status: int) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


def client(base: str, *, follow: bool = False) -> ConfirmaClient:
    config = ClientConfig(max_retries=0, follow_redirects=follow)
    return ConfirmaClient(api_key=KEY, base_url=base + PREFIX, config=config)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("follow", [False, True])
async def test_a_cross_host_redirect_never_receives_the_key_or_the_body(
    status: int, follow: bool
) -> None:
    async with serve({("POST", PREFIX + "/invoice"): ok, ("GET", PREFIX + "/payments"): ok}) as (
        elsewhere,
        other,
    ):

        async def bounce(request: web.Request) -> web.Response:
            await request.read()
            return redirect_to(elsewhere + request.path, status)

        routes = {("POST", PREFIX + "/invoice"): bounce, ("GET", PREFIX + "/payments"): bounce}
        async with serve(routes) as (base, _), client(base, follow=follow) as c:
            with pytest.raises(RedirectError) as post:
                await c.invoices.create(invoice(7))
            with pytest.raises(RedirectError):
                await c.payments.payments_window(*_days())
    assert other[SEEN] == []  # the other host saw nothing: no key, no invoice
    assert post.value.location is not None
    assert post.value.location.startswith(elsewhere)
    assert elsewhere in str(post.value)


async def test_redirects_are_not_followed_by_default_even_to_the_same_host() -> None:
    async def bounce(request: web.Request) -> web.Response:
        return redirect_to(PREFIX + "/elsewhere", 302)

    async with (
        serve({("GET", PREFIX + "/payments"): bounce, ("GET", PREFIX + "/elsewhere"): ok}) as (
            base,
            app,
        ),
        client(base) as c,
    ):
        with pytest.raises(RedirectError):
            await c.payments.payments_window(*_days())
    assert [r["path"] for r in app[SEEN]] == [PREFIX + "/payments"]


async def test_when_enabled_a_same_host_redirect_is_followed_with_the_key() -> None:
    async def bounce(request: web.Request) -> web.Response:
        return redirect_to(PREFIX + "/moved", 307)

    async def moved(request: web.Request) -> web.Response:
        return web.json_response([])

    async with (
        serve({("GET", PREFIX + "/payments"): bounce, ("GET", PREFIX + "/moved"): moved}) as (
            base,
            app,
        ),
        client(base, follow=True) as c,
    ):
        assert await c.payments.payments_window(*_days()) == []
    assert [r["headers"].get("X-Api-Key") for r in app[SEEN]] == [KEY, KEY]


@pytest.mark.parametrize(("status", "unknown"), [(307, False), (308, False), (302, True)])
async def test_a_redirected_post_says_whether_it_may_have_been_applied(
    status: int, unknown: bool
) -> None:
    async def bounce(request: web.Request) -> web.Response:
        await request.read()
        return redirect_to("https://example.invalid/x", status)

    async with serve({("POST", PREFIX + "/invoice"): bounce}) as (base, _), client(base) as c:
        with pytest.raises(RedirectError) as caught:
            await c.invoices.create(invoice(7))
    assert caught.value.outcome_unknown is unknown


def _days() -> tuple[object, object]:
    from datetime import date

    return date(2026, 1, 15), date(2026, 1, 15)
