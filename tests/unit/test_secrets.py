"""A planted token never appears in logs, reprs or exception text."""

from __future__ import annotations

import logging
import traceback

import pytest
import structlog
from aioresponses import aioresponses

from confirma_async import ConfirmaClient, ConfirmaError

from .conftest import BASE, FAST, TOKEN, url

NEW_TOKEN = "tok-PLANTED-RENEWED-91be"


async def _exercise(client: ConfirmaClient, mocked: aioresponses) -> list[BaseException]:
    errors: list[BaseException] = []
    mocked.get(url("/payments"), status=401, payload={"message": "expired"})
    mocked.get(url("/renew"), payload={"Message": NEW_TOKEN})
    mocked.get(url("/payments"), payload=[])
    await client.transport.request("GET", "/payments")
    mocked.post(url("/invoice"), status=500, body="boom")
    mocked.get(url("/validate"), status=401)
    mocked.get(url("/payments"), exception=TimeoutError(), repeat=True)
    for coro in (
        client.transport.request("POST", "/invoice", json={"a": 1}),
        client.transport.request("GET", "/payments"),
    ):
        try:
            await coro
        except ConfirmaError as exc:
            errors.append(exc)
    await client.onboarding.validate_token()
    return errors


async def test_token_never_in_stdlib_log_output(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=FAST) as c:
        await _exercise(c, mocked)

    assert caplog.records, "expected log events"
    text = caplog.text + " ".join(repr(r.__dict__) for r in caplog.records)
    assert TOKEN not in text
    assert NEW_TOKEN not in text


async def test_token_never_in_a_users_structlog_events(mocked: aioresponses) -> None:
    with structlog.testing.capture_logs() as events:
        async with ConfirmaClient(
            api_key=TOKEN, base_url=BASE, config=FAST, logger=structlog.get_logger()
        ) as c:
            await _exercise(c, mocked)

    assert events
    assert TOKEN not in repr(events)
    assert NEW_TOKEN not in repr(events)


async def test_token_never_in_reprs_or_exception_text(mocked: aioresponses) -> None:
    async with ConfirmaClient(api_key=TOKEN, base_url=BASE, config=FAST) as c:
        errors = await _exercise(c, mocked)
        texts = [repr(c), repr(c.tokens), str(c.tokens), repr(c.config)]

    assert len(errors) == 2
    for err in errors:
        texts += [str(err), repr(err), "".join(traceback.format_exception(err))]
    joined = "\n".join(texts)
    assert TOKEN not in joined
    assert NEW_TOKEN not in joined


def test_configuration_error_for_a_bad_token_does_not_echo_it() -> None:
    from confirma_async import ConfigurationError

    with pytest.raises(ConfigurationError) as info:
        ConfirmaClient(api_key=" \t ", base_url=BASE)
    assert info.value.field == "api_key"
    assert " \t " not in str(info.value)
