"""Retry policy of the transport: what is retried, how often, and what is never re-sent."""

from __future__ import annotations

from unittest.mock import Mock

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from confirma_async import (
    APIConnectionError,
    APITimeoutError,
    ConfirmaClient,
    RateLimitError,
    ServerError,
)

from .conftest import calls, url

GET_PATH = "/payments"
POST_PATH = "/invoice"

FAILURES = {
    "500": {"status": 500, "body": "oops"},
    "502": {"status": 502, "body": "bad gateway"},
    "503": {"status": 503, "body": "unavailable"},
    "429": {"status": 429, "payload": {"message": "slow down"}},
    "refused": {
        "exception": aiohttp.ClientConnectorError(
            Mock(ssl=True, host="cfis.test", port=443), ConnectionRefusedError(111, "refused")
        )
    },
    "disconnected": {"exception": aiohttp.ServerDisconnectedError()},
    "timeout": {"exception": TimeoutError()},
}


@pytest.mark.parametrize("failures", [0, 2, 4])
@pytest.mark.parametrize("kind", sorted(FAILURES))
async def test_get_succeeds_after_n_retryable_failures(
    mocked: aioresponses, client: ConfirmaClient, kind: str, failures: int
) -> None:
    for _ in range(failures):
        mocked.get(url(GET_PATH), **FAILURES[kind])
    mocked.get(url(GET_PATH), payload=[])

    result = await client.transport.request("GET", GET_PATH)

    assert result == []
    assert len(calls(mocked, "GET", GET_PATH)) == failures + 1


@pytest.mark.parametrize("kind", sorted(FAILURES))
async def test_get_gives_up_after_max_retries(
    mocked: aioresponses, client: ConfirmaClient, kind: str
) -> None:
    for _ in range(client.config.max_retries + 1):
        mocked.get(url(GET_PATH), **FAILURES[kind])
    mocked.get(url(GET_PATH), payload=[])  # never reached

    with pytest.raises((ServerError, RateLimitError, APIConnectionError)):
        await client.transport.request("GET", GET_PATH)

    assert len(calls(mocked, "GET", GET_PATH)) == client.config.max_retries + 1


@pytest.mark.parametrize("failures", [0, 2, 4])
@pytest.mark.parametrize("kind", ["429", "refused"])
async def test_post_is_resent_only_when_the_server_provably_did_not_act(
    mocked: aioresponses, client: ConfirmaClient, kind: str, failures: int
) -> None:
    for _ in range(failures):
        mocked.post(url(POST_PATH), **FAILURES[kind])
    mocked.post(url(POST_PATH), status=201, payload={"invoiceNumber": 1})

    await client.transport.request("POST", POST_PATH, json={"a": 1})

    assert len(calls(mocked, "POST", POST_PATH)) == failures + 1


@pytest.mark.parametrize("kind", ["500", "502", "503", "disconnected", "timeout"])
async def test_post_with_unknown_outcome_is_not_resent(
    mocked: aioresponses, client: ConfirmaClient, kind: str
) -> None:
    mocked.post(url(POST_PATH), **FAILURES[kind])
    mocked.post(url(POST_PATH), status=201, payload={"invoiceNumber": 1})

    with pytest.raises((ServerError, APIConnectionError)) as info:
        await client.transport.request("POST", POST_PATH, json={"a": 1})

    assert info.value.outcome_unknown is True
    assert len(calls(mocked, "POST", POST_PATH)) == 1


async def test_post_explicitly_marked_idempotent_is_retried_on_5xx(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.post(url(POST_PATH), status=503)
    mocked.post(url(POST_PATH), status=200, payload={})

    await client.transport.request("POST", POST_PATH, json={}, idempotent=True)

    assert len(calls(mocked, "POST", POST_PATH)) == 2


async def test_connection_refused_error_says_outcome_is_known(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    for _ in range(client.config.max_retries + 1):
        mocked.post(url(POST_PATH), **FAILURES["refused"])

    with pytest.raises(APIConnectionError) as info:
        await client.transport.request("POST", POST_PATH, json={})

    assert info.value.outcome_unknown is False


async def test_get_timeout_surfaces_as_api_timeout_error(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    for _ in range(client.config.max_retries + 1):
        mocked.get(url(GET_PATH), exception=TimeoutError())

    with pytest.raises(APITimeoutError):
        await client.transport.request("GET", GET_PATH)


async def test_zero_max_retries_sends_once() -> None:
    from confirma_async import ClientConfig

    from .conftest import BASE, TOKEN

    with aioresponses() as mocked:
        mocked.get(url(GET_PATH), status=503)
        async with ConfirmaClient(
            api_key=TOKEN, base_url=BASE, config=ClientConfig(max_retries=0)
        ) as c:
            with pytest.raises(ServerError):
                await c.transport.request("GET", GET_PATH)
        assert len(calls(mocked, "GET", GET_PATH)) == 1


async def test_response_body_is_read_before_backoff_sleep(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    seen: list[int] = []

    def first(url_: object, **kwargs: object) -> CallbackResult:
        seen.append(1)
        return CallbackResult(status=503, body="x" * 10_000)

    mocked.get(url(GET_PATH), callback=first)
    mocked.get(url(GET_PATH), payload=[])

    assert await client.transport.request("GET", GET_PATH) == []
    assert seen == [1]
