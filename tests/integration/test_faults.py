"""Each fault kind against the real client: retries, Retry-After, unknown outcomes, no re-sends."""

from __future__ import annotations

from typing import Any

import pytest

from confirma_async import (
    APIConnectionError,
    APITimeoutError,
    ClientConfig,
    ConfirmaClient,
    RateLimitError,
    ServerError,
)
from confirma_async.testing import Sandbox

from .conftest import FAST, TODAY, make_invoice


class Recorder:
    """A logger that keeps every event (the client logs one per attempt and per retry)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def _log(self, event: str, **fields: Any) -> None:
        self.events.append((event, fields))

    debug = info = warning = error = _log


async def list_payments_logged(sandbox: Sandbox) -> Recorder:
    """List today's payments with a client that records its log events; return the record."""
    log = Recorder()
    async with ConfirmaClient(
        api_key=sandbox.client_token, base_url=sandbox.base_url, config=FAST, logger=log
    ) as client:
        assert await client.payments.payments_window(TODAY, TODAY) == []
    return log


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_get_is_retried_after_5xx(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox, status: int
) -> None:
    confirma_sandbox.faults.fail_next(2, "GET", "/payments", status=status)
    assert await confirma_client.payments.payments_window(TODAY, TODAY) == []
    assert confirma_sandbox.state.requests_received("GET", "/payments") == 3


async def test_get_gives_up_after_max_retries(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.fail_next(10, "GET", "/payments", status=503)
    with pytest.raises(ServerError) as caught:
        await confirma_client.payments.payments_window(TODAY, TODAY)
    assert caught.value.status == 503
    assert confirma_sandbox.state.requests_received("GET", "/payments") == 1 + FAST.max_retries


async def test_get_is_retried_after_a_dropped_connection(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.drop_next(1, "GET", "/invoice/distribution")
    page = await confirma_client.invoices.distribution_window(TODAY, TODAY)
    assert page.meta_data.total_count == 0
    assert confirma_sandbox.state.requests_received("GET", "/invoice/distribution") == 2


async def test_get_is_retried_after_a_timeout(confirma_sandbox: Sandbox) -> None:
    config = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, read_timeout=0.2)
    confirma_sandbox.faults.slow_next(1, "GET", "/payments", delay=60)
    async with ConfirmaClient(
        api_key=confirma_sandbox.client_token, base_url=confirma_sandbox.base_url, config=config
    ) as client:
        assert await client.payments.payments_window(TODAY, TODAY) == []
    assert confirma_sandbox.state.requests_received("GET", "/payments") == 2


async def test_retry_after_is_honoured(confirma_sandbox: Sandbox) -> None:
    confirma_sandbox.faults.rate_limit_next(1, "GET", "/payments", retry_after=5)
    log = await list_payments_logged(confirma_sandbox)
    (retry,) = [fields for event, fields in log.events if event == "confirma_retry"]
    # The wait is the server's Retry-After (capped by retry_after_cap=1 ms), not the
    # exponential backoff (at most 0.2 ms with this config).
    assert retry["wait_s"] == FAST.retry_after_cap
    assert retry["status"] == 429


async def test_each_retry_is_logged_once_after_the_attempt_that_failed(
    confirma_sandbox: Sandbox,
) -> None:
    confirma_sandbox.faults.fail_next(2, "GET", "/payments", status=503)
    log = await list_payments_logged(confirma_sandbox)
    retries = [fields for event, fields in log.events if event == "confirma_retry"]
    attempts = [fields for event, fields in log.events if event == "confirma_request"]
    assert [(r["attempt"], r["status"]) for r in retries] == [(1, 503), (2, 503)]
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, 503), (2, 503), (3, 200)]


async def test_429_on_post_is_resent_because_nothing_was_applied(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.rate_limit_next(2, "POST", "/invoice", retry_after=0)
    await confirma_client.invoices.create(make_invoice(1))
    assert confirma_sandbox.state.requests_received("POST", "/invoice") == 3
    assert confirma_sandbox.state.accepted_count(1) == 1


async def test_persistent_429_raises_rate_limit_error_with_retry_after(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.rate_limit_next(10, "GET", "/settlements", retry_after=7)
    with pytest.raises(RateLimitError) as caught:
        await confirma_client.payments.settlements_window(TODAY, TODAY)
    assert caught.value.retry_after is not None


async def test_post_5xx_is_outcome_unknown_and_not_resent(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.fail_next(1, "POST", "/invoice", status=503)
    with pytest.raises(ServerError) as caught:
        await confirma_client.invoices.create(make_invoice(2))
    assert caught.value.outcome_unknown is True
    assert confirma_sandbox.state.requests_received("POST", "/invoice") == 1
    assert confirma_sandbox.state.accepted_count(2) == 0


async def test_post_commit_then_drop_is_outcome_unknown_stored_once_not_resent(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.drop_next(1, "POST", "/invoice", commit=True)
    with pytest.raises(APIConnectionError) as caught:
        await confirma_client.invoices.create(make_invoice(3))
    assert caught.value.outcome_unknown is True
    assert confirma_sandbox.state.requests_received("POST", "/invoice") == 1
    assert confirma_sandbox.state.accepted_count(3) == 1
    # The caller can reconcile: the lookup finds the stored invoice.
    assert await confirma_client.invoices.find_distribution(3, TODAY) is not None


async def test_post_dropped_before_applying_is_outcome_unknown_and_not_resent(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.drop_next(1, "POST", "/invoice")
    with pytest.raises(APIConnectionError) as caught:
        await confirma_client.invoices.create(make_invoice(4))
    assert caught.value.outcome_unknown is True
    assert confirma_sandbox.state.requests_received("POST", "/invoice") == 1
    assert confirma_sandbox.state.accepted_count(4) == 0
    assert await confirma_client.invoices.find_distribution(4, TODAY) is None


async def test_post_timeout_is_outcome_unknown_and_not_resent(confirma_sandbox: Sandbox) -> None:
    # POST /invoice answers are bounded by the total timeout (no per-read timer: see _options).
    config = ClientConfig(
        backoff_base=0.0001, backoff_cap=0.0002, total_timeout=0.3, pool_timeout=0.2
    )
    confirma_sandbox.faults.slow_next(1, "POST", "/invoice", delay=60)
    async with ConfirmaClient(
        api_key=confirma_sandbox.client_token, base_url=confirma_sandbox.base_url, config=config
    ) as client:
        with pytest.raises(APITimeoutError) as caught:
            await client.invoices.create(make_invoice(5))
    assert caught.value.outcome_unknown is True
    assert confirma_sandbox.state.requests_received("POST", "/invoice") == 1
    assert confirma_sandbox.state.accepted_count(5) == 1


async def test_latency_is_transparent(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.add("*:latency=1ms+2ms")
    await confirma_client.invoices.create(make_invoice(6))
    assert (await confirma_client.invoices.case(invoice_number=6)).case.summary.case_id > 0
    assert confirma_sandbox.faults.fired["latency"] == 2


@pytest.mark.usefixtures("dialect")  # both dialects; the alternate one read through the aliases
async def test_batch_upload_through_faults_stores_every_invoice_exactly_once(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    faults = confirma_sandbox.faults
    faults.add("POST /invoice:503:0.1")
    faults.add("POST /invoice:commit-drop:0.05")
    faults.add("POST /invoice:drop:0.05")
    faults.add("*:429=0:0.05")
    faults.add("GET /invoice/distribution:502:0.1")
    numbers = list(range(10_000, 10_300))
    batch = confirma_client.batch(concurrency=16, max_attempts=10)
    async with batch.submit_invoices(make_invoice(n) for n in numbers) as results:
        collected = [r async for r in results]
    outcomes = {r.key: r.status for r in collected}
    failed = [(r.key, r.attempts, r.lookups, repr(r.error)) for r in collected if not r.ok]
    assert set(outcomes) == set(numbers)
    assert failed == []
    counts = confirma_sandbox.state.accepted_counts()
    assert all(counts[n] == 1 for n in numbers)
    assert sum(faults.fired.values()) > 30
