"""Each fault kind, deterministic and scoped by endpoint."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest

from confirma_async._core.json import dumps
from confirma_async.testing import (
    FaultRule,
    Faults,
    ManualClock,
    Sandbox,
    SandboxConfig,
    sample_invoice,
)
from confirma_async.testing._faults import parse_duration, parse_token_expiry

from .conftest import Api


async def test_fail_next_answers_5xx_without_applying(api: Api, confirma_sandbox: Sandbox) -> None:
    confirma_sandbox.faults.fail_next(2, "POST", "/invoice", status=502)
    for _ in range(2):
        reply = await api.post("/invoice", sample_invoice(1))
        assert reply.status == 502
        assert reply.body["code"] == "BAD_GATEWAY"
    assert confirma_sandbox.state.accepted_count(1) == 0
    assert (await api.post("/invoice", sample_invoice(1))).status == 201
    assert confirma_sandbox.state.requests_received("POST", "/invoice") == 3
    assert confirma_sandbox.state.responses_sent("POST", "/invoice", 502) == 2
    assert confirma_sandbox.faults.rules == []


@pytest.mark.parametrize(("status", "code"), [(401, "UNAUTHORIZED"), (403, "FORBIDDEN")])
async def test_a_refused_token_fault_answers_401_or_403_for_that_client_only(
    api: Api, confirma_sandbox: Sandbox, status: int, code: str
) -> None:
    other_id, other_token = confirma_sandbox.add_client("Other Oy")
    confirma_sandbox.faults.add(f"GET /payments:{status}:x1:client={confirma_sandbox.client_id}")
    assert (await api.call("GET", "/payments", token=other_token)).status == 200
    reply = await api.get("/payments")
    assert (reply.status, reply.body["code"]) == (status, code)
    assert (await api.get("/payments")).status == 200  # the token itself still works
    assert confirma_sandbox.requests_of(other_id) == 1


async def test_rate_limit_sends_retry_after(api: Api, confirma_sandbox: Sandbox) -> None:
    confirma_sandbox.faults.rate_limit_next(1, "GET", "/payments", retry_after=2)
    reply = await api.get("/payments")
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "2"
    assert reply.body["code"] == "RATE_LIMITED"
    assert (await api.get("/payments")).status == 200


async def test_faults_are_scoped_to_their_endpoint(api: Api, confirma_sandbox: Sandbox) -> None:
    confirma_sandbox.faults.add(FaultRule(kind="error", method="POST", path="/invoice"))
    assert (await api.get("/payments")).status == 200
    assert (await api.post("/invoice/action", {"actions": []})).status == 400
    assert (await api.post("/invoice", sample_invoice(2))).status == 503


async def test_glob_paths_match_families(api: Api, confirma_sandbox: Sandbox) -> None:
    confirma_sandbox.faults.add("/accounting/*:500")
    assert (await api.get("/accounting/ledger")).status == 500
    assert (await api.get("/accounting/payment")).status == 500
    assert (await api.get("/payments")).status == 200


async def test_drop_closes_the_connection_and_does_not_apply(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.drop_next(1, "POST", "/invoice")
    with pytest.raises(aiohttp.ClientConnectionError):
        await api.post("/invoice", sample_invoice(3))
    assert confirma_sandbox.state.accepted_count(3) == 0
    assert confirma_sandbox.state.requests_received("POST", "/invoice") == 1
    assert (await api.post("/invoice", sample_invoice(3))).status == 201


async def test_commit_then_drop_stores_the_invoice_then_resets(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    confirma_sandbox.faults.drop_next(1, "POST", "/invoice", commit=True)
    with pytest.raises(aiohttp.ClientConnectionError):
        await api.post("/invoice", sample_invoice(4))
    assert confirma_sandbox.state.accepted_count(4) == 1
    assert (await api.post("/invoice", sample_invoice(4))).status == 409


async def test_slow_answers_outlast_a_client_timeout(confirma_sandbox: Sandbox) -> None:
    confirma_sandbox.faults.slow_next(1, "POST", "/invoice", delay=60)
    timeout = aiohttp.ClientTimeout(total=0.2)
    headers = {"X-Api-Key": confirma_sandbox.client_token}
    async with aiohttp.ClientSession(timeout=timeout) as session:
        with pytest.raises(TimeoutError):
            await session.post(
                confirma_sandbox.base_url + "/invoice",
                data=dumps(sample_invoice(5)),
                headers=headers,
            )
    # The request was applied before the answer stalled.
    assert confirma_sandbox.state.accepted_count(5) == 1


async def test_latency_delays_but_answers(api: Api, confirma_sandbox: Sandbox) -> None:
    confirma_sandbox.faults.add("*:latency=1ms+1ms")
    assert (await api.get("/payments")).status == 200
    assert (await api.get("/settlements")).status == 200
    assert confirma_sandbox.faults.fired["latency"] == 2


async def _statuses(seed: int) -> list[int]:
    config = SandboxConfig(seed=seed, faults=(FaultRule.parse("GET /payments:503:0.3"),))
    out = []
    async with Sandbox(config, clock=ManualClock()) as sb, aiohttp.ClientSession() as session:
        for _ in range(40):
            headers = {"X-Api-Key": sb.client_token}
            async with session.get(sb.base_url + "/payments", headers=headers) as resp:
                out.append(resp.status)
    return out


async def test_rates_are_deterministic_from_the_seed() -> None:
    first, second, other = await _statuses(5), await _statuses(5), await _statuses(6)
    assert first == second
    assert first != other
    assert 3 <= first.count(503) <= 25
    assert set(first) == {200, 503}


async def test_token_expiry_from_the_config() -> None:
    config = SandboxConfig(expire_tokens_after=timedelta(seconds=10))
    sandbox = Sandbox(config, clock=ManualClock())
    record = sandbox.state.tokens.default
    assert not sandbox.state.tokens.is_expired(record, sandbox.clock.now())
    sandbox.advance(timedelta(seconds=10))
    assert sandbox.state.tokens.is_expired(record, sandbox.clock.now())


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "POST /invoice:503:0.1",
            FaultRule(kind="error", method="POST", path="/invoice", rate=0.1),
        ),
        ("*:latency=20ms", FaultRule(kind="latency", latency=0.02)),
        ("*:latency=20ms+10ms", FaultRule(kind="latency", latency=0.02, jitter=0.01)),
        (
            "GET /payments:429=2:5%",
            FaultRule(kind="rate_limit", method="GET", path="/payments", retry_after=2, rate=0.05),
        ),
        (
            "POST /invoice:commit-drop:x3",
            FaultRule(kind="commit_drop", method="POST", path="/invoice", count=3),
        ),
        ("/invoice:drop", FaultRule(kind="drop", path="/invoice")),
        ("GET:500", FaultRule(kind="error", method="GET", status=500)),
        ("GET *:slow=1.5s:x1", FaultRule(kind="slow", method="GET", delay=1.5, count=1)),
        ("*:slow", FaultRule(kind="slow", delay=30)),
    ],
)
def test_cli_specs_parse(spec: str, expected: FaultRule) -> None:
    assert FaultRule.parse(spec) == expected


@pytest.mark.parametrize(
    "spec", ["POST /invoice", "*:404", "*:teleport", "*:latency", "*:503:1.5", "*:503:x0"]
)
def test_bad_specs_are_rejected(spec: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        FaultRule.parse(spec)


def test_durations_and_token_expiry_specs() -> None:
    assert parse_duration("250ms") == 0.25
    assert parse_duration("2m") == 120
    assert parse_duration("3") == 3
    assert parse_token_expiry("tokens:expire=90s") == timedelta(seconds=90)
    assert parse_token_expiry("*:503") is None
    with pytest.raises(ValueError, match="tokens:expire"):
        parse_token_expiry("tokens:forget")


def test_first_firing_outcome_wins_and_latencies_add() -> None:
    faults = Faults(seed=1)
    faults.add("*:latency=10ms")
    faults.add("*:latency=5ms")
    first = faults.add("GET /payments:500:x1")
    faults.add("GET *:503")
    decision = faults.decide("GET", "/payments")
    assert decision.outcome is first
    assert decision.latency == pytest.approx(0.015)
    assert faults.decide("GET", "/payments").outcome == FaultRule(kind="error", method="GET")
