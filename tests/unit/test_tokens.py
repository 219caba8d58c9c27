"""Token lifecycle: header, validate, renew, single-flight renewal after 401, expiry windows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses

from confirma_async import AuthenticationError, ClientConfig, ConfirmaClient, ServerError

from .conftest import BASE, FAST, TOKEN, calls, url

NEW_TOKEN = "tok-RENEWED-7c1d"


class FakeServer:
    """Answers 401 to any token but the current one; /renew hands out a new token."""

    def __init__(self, current: str = TOKEN) -> None:
        self.current = current
        self.renewals = 0
        self.seen_tokens: list[str] = []

    def listing(self, url_: Any, **kwargs: Any) -> CallbackResult:
        token = kwargs["headers"]["X-Api-Key"]
        self.seen_tokens.append(token)
        if token != self.current:
            return CallbackResult(status=401, payload={"message": "Token expired"})
        return CallbackResult(status=200, payload=[])

    def renew(self, url_: Any, **kwargs: Any) -> CallbackResult:
        if kwargs["headers"]["X-Api-Key"] != self.current:
            return CallbackResult(status=401, payload={"message": "revoked"})
        self.renewals += 1
        self.current = f"{NEW_TOKEN}-{self.renewals}"
        return CallbackResult(status=200, payload={"Message": self.current})


async def test_every_request_sends_the_token_in_x_api_key(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), payload=[])

    await client.transport.request("GET", "/payments")

    (call,) = calls(mocked, "GET", "/payments")
    assert call.kwargs["headers"]["X-Api-Key"] == TOKEN
    assert call.kwargs["headers"]["Accept"] == "application/json"


async def test_twenty_concurrent_401s_share_one_renewal(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    server = FakeServer(current="already-rotated-elsewhere")
    server.current = "x"  # the client's token is stale
    mocked.get(url("/payments"), callback=server.listing, repeat=True)
    mocked.get(url("/renew"), callback=lambda u, **kw: _renew_any(server), repeat=True)

    results = await asyncio.gather(
        *(client.transport.request("GET", "/payments") for _ in range(20))
    )

    assert results == [[]] * 20
    assert server.renewals == 1
    assert client.tokens.renewals == 1
    assert client.tokens.generation == 1
    assert len(calls(mocked, "GET", "/renew")) == 1


def _renew_any(server: FakeServer) -> CallbackResult:
    server.renewals += 1
    server.current = NEW_TOKEN
    return CallbackResult(status=200, payload={"Message": NEW_TOKEN})


async def test_request_is_replayed_once_with_the_new_token(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    server = FakeServer(current="stale")
    mocked.get(url("/payments"), callback=server.listing, repeat=True)
    mocked.get(url("/renew"), callback=lambda u, **kw: _renew_any(server), repeat=True)

    await client.transport.request("GET", "/payments")

    assert server.seen_tokens == [TOKEN, NEW_TOKEN]


async def test_401_on_a_retry_also_renews_and_replays(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), status=503)
    mocked.get(url("/payments"), status=401)
    mocked.get(url("/payments"), payload=[])
    mocked.get(url("/renew"), payload={"Message": NEW_TOKEN})

    assert await client.transport.request("GET", "/payments") == []

    sent = [c.kwargs["headers"]["X-Api-Key"] for c in calls(mocked, "GET", "/payments")]
    assert sent == [TOKEN, TOKEN, NEW_TOKEN]
    assert len(calls(mocked, "GET", "/renew")) == 1


async def test_401_after_renewal_is_not_renewed_again(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), status=401, repeat=True)
    mocked.get(url("/renew"), payload={"Message": NEW_TOKEN}, repeat=True)

    with pytest.raises(AuthenticationError):
        await client.transport.request("GET", "/payments")

    assert len(calls(mocked, "GET", "/renew")) == 1
    assert len(calls(mocked, "GET", "/payments")) == 2


async def test_renewal_is_never_retried(mocked: aioresponses, client: ConfirmaClient) -> None:
    mocked.get(url("/renew"), status=503, repeat=True)

    with pytest.raises(ServerError):
        await client.onboarding.renew_token()

    assert len(calls(mocked, "GET", "/renew")) == 1
    assert client.tokens.generation == 0


async def test_renew_reads_token_and_expiry_and_calls_back(mocked: aioresponses) -> None:
    persisted: list[tuple[str, datetime | None]] = []

    async def persist(token: str, expires_at: datetime | None) -> None:
        persisted.append((token, expires_at))

    mocked.get(url("/renew"), payload={"Message": NEW_TOKEN, "expiresAt": "2099-12-01T00:00:00Z"})
    mocked.get(url("/payments"), payload=[])
    async with ConfirmaClient(
        api_key=TOKEN, base_url=BASE, config=FAST, on_token_renewed=persist
    ) as c:
        expiry = await c.onboarding.renew_token()
        await c.transport.request("GET", "/payments")

    assert expiry == datetime(2099, 12, 1, tzinfo=UTC)
    assert persisted == [(NEW_TOKEN, expiry)]
    (call,) = calls(mocked, "GET", "/payments")
    assert call.kwargs["headers"]["X-Api-Key"] == NEW_TOKEN


async def test_failing_renewal_callback_keeps_the_new_token(mocked: aioresponses) -> None:
    async def broken(token: str, expires_at: datetime | None) -> None:
        raise RuntimeError("disk full")

    mocked.get(url("/renew"), payload={"Message": NEW_TOKEN})
    async with ConfirmaClient(
        api_key=TOKEN, base_url=BASE, config=FAST, on_token_renewed=broken
    ) as c:
        await c.onboarding.renew_token()
        assert c.tokens.generation == 1


async def test_validate_token_reports_valid(mocked: aioresponses, client: ConfirmaClient) -> None:
    mocked.get(url("/validate"), payload={"isValid": True, "message": "Token is valid"})

    result = await client.onboarding.validate_token()

    assert result.is_valid is True
    assert result.message == "Token is valid"


async def test_validate_token_turns_401_into_invalid(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/validate"), status=401, payload={"message": "Unknown token"})

    result = await client.onboarding.validate_token()

    assert result.is_valid is False
    assert len(calls(mocked, "GET", "/renew")) == 0


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _expiring_client(clock: Clock, expires_in: timedelta) -> ConfirmaClient:
    config = ClientConfig(
        backoff_base=0.0001,
        backoff_cap=0.0002,
        token_advisory_window=timedelta(minutes=10),
        token_mandatory_window=timedelta(minutes=1),
    )
    return ConfirmaClient(
        api_key=TOKEN,
        base_url=BASE,
        config=config,
        token_expires_at=clock.now + expires_in,
        clock=clock,
    )


async def test_token_is_renewed_early_inside_the_advisory_window(mocked: aioresponses) -> None:
    clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
    mocked.get(url("/renew"), payload={"Message": NEW_TOKEN, "expiresAt": "2026-02-01T00:00:00Z"})
    mocked.get(url("/payments"), payload=[], repeat=True)
    async with _expiring_client(clock, timedelta(minutes=5)) as c:
        await c.transport.request("GET", "/payments")
        await c.transport.request("GET", "/payments")

    assert len(calls(mocked, "GET", "/renew")) == 1
    tokens = [call.kwargs["headers"]["X-Api-Key"] for call in calls(mocked, "GET", "/payments")]
    assert tokens == [NEW_TOKEN, NEW_TOKEN]


async def test_failed_advisory_renewal_keeps_using_the_old_token(mocked: aioresponses) -> None:
    clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
    mocked.get(url("/renew"), status=503)
    mocked.get(url("/payments"), payload=[], repeat=True)
    async with _expiring_client(clock, timedelta(minutes=5)) as c:
        await c.transport.request("GET", "/payments")
        await c.transport.request("GET", "/payments")  # paused: no second renewal attempt

    assert len(calls(mocked, "GET", "/renew")) == 1
    tokens = [call.kwargs["headers"]["X-Api-Key"] for call in calls(mocked, "GET", "/payments")]
    assert tokens == [TOKEN, TOKEN]


async def test_failed_mandatory_renewal_fails_the_request(mocked: aioresponses) -> None:
    clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
    mocked.get(url("/renew"), status=503)
    async with _expiring_client(clock, timedelta(seconds=30)) as c:
        with pytest.raises(ServerError):
            await c.transport.request("GET", "/payments")

    assert calls(mocked, "GET", "/payments") == []


async def test_token_outside_any_window_is_not_renewed(mocked: aioresponses) -> None:
    clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
    mocked.get(url("/payments"), payload=[])
    async with _expiring_client(clock, timedelta(hours=5)) as c:
        await c.transport.request("GET", "/payments")

    assert calls(mocked, "GET", "/renew") == []


async def test_renew_response_without_token_is_a_decode_error(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    from confirma_async import ResponseDecodeError

    mocked.get(url("/renew"), payload={"note": "nothing here"})

    with pytest.raises(ResponseDecodeError):
        await client.onboarding.renew_token()
    assert client.tokens.generation == 0
