"""A client hanging up is a normal event for a fault-injecting server: no error, no traceback.

The clients here speak raw HTTP over a socket so that the tests know when the sandbox has dealt
with the hang-up, without sleeping: ``Expect: 100-continue`` makes the sandbox answer once the
request is routed (its handler then waits for the body), and after a half-close the sandbox's own
close of the connection (EOF on our side) comes after it has handled the hang-up.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from aiohttp import web

from confirma_async._core import wire
from confirma_async._core.json import dumps
from confirma_async.testing import ManualClock, Sandbox, sample_invoice
from confirma_async.testing._app import build_app

from .conftest import Api


async def _post_invoice(host: str, port: int, token: str, number: int, *, whole: bool) -> None:
    """POST an invoice, send all (``whole``) or half of its body, then hang up.

    Returns once the server has closed its side of the connection.
    """
    body = dumps(sample_invoice(number))
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST {wire.API_PREFIX}{wire.PATH_INVOICE} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"{wire.API_KEY_HEADER}: {token}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\n\r\n"
    )
    writer.write(head.encode())
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 100")
    writer.write(body if whole else body[: len(body) // 2])
    writer.write_eof()
    assert await reader.read() == b""  # no answer: the server closed the connection
    writer.close()
    await writer.wait_closed()


def _assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """No warning or error, no traceback, at most one line about the hang-up."""
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.exc_text] == []
    assert "Traceback" not in caplog.text
    ours = [r for r in caplog.records if r.name.startswith(("aiohttp", "confirma_async"))]
    assert len(ours) <= 1


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(None, id="no-fault"),
        pytest.param("POST /invoice:slow=60s:x1", id="slow"),
        pytest.param("POST /invoice:drop:x1", id="drop"),
        pytest.param("POST /invoice:commit-drop:x1", id="commit-drop"),
    ],
)
async def test_a_client_hanging_up_mid_upload_logs_no_error(
    confirma_sandbox: Sandbox, caplog: pytest.LogCaptureFixture, fault: str | None
) -> None:
    caplog.set_level(logging.DEBUG)
    sb = confirma_sandbox
    if fault is not None:
        sb.faults.add(fault)
    await _post_invoice(sb.host, sb.port, sb.client_token, 7001, whole=False)
    _assert_quiet(caplog)


async def test_a_client_giving_up_on_a_slow_answer_logs_no_error(
    confirma_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sb = confirma_sandbox
    sb.faults.slow_next(1, "POST", wire.PATH_INVOICE, delay=60)
    await _post_invoice(sb.host, sb.port, sb.client_token, 7002, whole=True)
    assert sb.state.accepted_count(7002) == 1  # applied, then the client left during the wait
    _assert_quiet(caplog)


@pytest.mark.parametrize("commit", [False, True], ids=["drop", "commit-drop"])
async def test_a_dropped_connection_logs_no_error(
    api: Api, caplog: pytest.LogCaptureFixture, commit: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    api.sandbox.faults.drop_next(1, "POST", wire.PATH_INVOICE, commit=commit)
    with pytest.raises(aiohttp.ClientConnectionError):
        await api.post(wire.PATH_INVOICE, sample_invoice(7003))
    _assert_quiet(caplog)


@pytest.mark.parametrize(
    "fault",
    [pytest.param(None, id="no-fault"), pytest.param("POST /invoice:drop:x1", id="drop")],
)
async def test_the_app_under_a_runner_that_lets_handlers_outlive_clients_logs_no_error(
    caplog: pytest.LogCaptureFixture, fault: str | None
) -> None:
    # aiohttp's default runner does not cancel a handler whose client left: its body read fails.
    caplog.set_level(logging.DEBUG)
    sb = Sandbox(clock=ManualClock())  # its state and faults, served by another runner
    if fault is not None:
        sb.faults.add(fault)
    runner = web.AppRunner(build_app(sb.state, sb.faults, asyncio.Event()), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = int(runner.addresses[0][1])
        await _post_invoice("127.0.0.1", port, sb.client_token, 7004, whole=False)
    finally:
        await runner.cleanup()
    _assert_quiet(caplog)
