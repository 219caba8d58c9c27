"""The sandbox's ``hold`` fault: requests in flight, not answered nor applied until released."""

from __future__ import annotations

import asyncio

import pytest

from confirma_async import APIConnectionError, ConfirmaClient
from confirma_async.testing import FaultRule, Sandbox, SandboxConfig
from tests.loop_turns import turns_until

from .conftest import FAST, TODAY, make_invoice

FIRST = 251_700_001


def uploads(client: ConfirmaClient, n: int) -> list[asyncio.Task[object]]:
    """``n`` invoice uploads in flight at once, numbered from ``FIRST``."""
    return [asyncio.create_task(client.invoices.create(make_invoice(FIRST + i))) for i in range(n)]


async def test_a_held_upload_is_received_but_not_applied_until_released(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    sandbox = confirma_sandbox
    with sandbox.faults.hold("POST", "/invoice") as held:
        (task,) = uploads(confirma_client, 1)
        await held.wait_held(1)
        assert sandbox.state.requests_received("POST", "/invoice") == 1
        assert sandbox.state.accepted_counts() == {}
        assert not task.done()
        assert held.release() == 1
        await task
    assert sandbox.state.accepted_counts() == {FIRST: 1}


async def test_release_lets_the_oldest_requests_go_and_keeps_the_rest(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    with confirma_sandbox.faults.hold("POST", "/invoice") as held:
        tasks = uploads(confirma_client, 3)
        await held.wait_held(3)
        assert held.release(1) == 1
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        assert (len(done), held.held, held.arrived) == (1, 2, 3)
        assert len(pending) == 2
    await asyncio.gather(*tasks)  # leaving the block let the other two go
    assert sum(confirma_sandbox.state.accepted_counts().values()) == 3


async def test_an_ended_hold_lets_later_requests_pass(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    held = confirma_sandbox.faults.hold("POST", "/invoice")
    held.end()
    assert held.ended
    assert confirma_sandbox.faults.rules == []
    await confirma_client.invoices.create(make_invoice(FIRST))
    assert held.arrived == 0


async def test_a_hold_with_a_count_holds_only_that_many(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    held = confirma_sandbox.faults.hold("POST", "/invoice", count=1)
    (first,) = uploads(confirma_client, 1)
    await held.wait_held(1)
    await confirma_client.invoices.create(make_invoice(FIRST + 1))  # not held: the count is spent
    assert not first.done()
    held.release()
    await first
    assert held.arrived == 1


async def test_clearing_the_faults_lets_held_requests_go(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    held = confirma_sandbox.faults.hold("POST", "/invoice")
    (task,) = uploads(confirma_client, 1)
    await held.wait_held(1)
    confirma_sandbox.faults.clear()
    await task
    assert held.ended


async def test_other_faults_still_apply_to_a_released_request(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    faults = confirma_sandbox.faults
    with faults.hold("GET", "/payments") as held:
        faults.fail_next(1, "GET", "/payments", status=503)
        task = asyncio.create_task(confirma_client.payments.payments_window(TODAY, TODAY))
        await held.wait_held(1)
        held.release()
        await held.wait_held(1)  # it answered 503 once released; the client's retry is held too
        assert confirma_sandbox.state.responses_sent("GET", "/payments", status=503) == 1
    assert await task == []


def test_a_hold_rule_cannot_be_added_without_its_handle(confirma_sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match=r"added by Faults\.hold\(\)"):
        confirma_sandbox.faults.add(FaultRule(kind="hold"))


async def test_stopping_the_sandbox_drops_held_requests_at_once() -> None:
    sandbox = await Sandbox(SandboxConfig(shutdown_timeout=3600)).start()
    held = sandbox.faults.hold("GET", "/payments")  # never released by the test
    async with ConfirmaClient(
        api_key=sandbox.client_token, base_url=sandbox.base_url, config=FAST
    ) as client:
        reading = asyncio.create_task(client.payments.payments_window(TODAY, TODAY))
        await held.wait_held(1)
        stopping = asyncio.ensure_future(sandbox.stop())
        await turns_until(stopping)  # not after the hour a handler gets to finish
        assert stopping.done()
        with pytest.raises(APIConnectionError):
            await reading
    assert held.held == 0
