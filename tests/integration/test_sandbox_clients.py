"""The sandbox as a partner meets it: many clients via POST /client, kept and faulted apart."""

from __future__ import annotations

import aiohttp
import pytest

from confirma_async import ConfirmaClient, NewClientRequest, ServerError
from confirma_async.models._convert import from_wire
from confirma_async.testing import Sandbox, sample_client

from .conftest import FAST, TODAY, make_invoice


async def onboard(sandbox: Sandbox, name: str) -> tuple[str, str]:
    async with ConfirmaClient(api_key="unused", base_url=sandbox.base_url, config=FAST) as c:
        request = from_wire(sample_client(name), NewClientRequest)
        created = await c.onboarding.create_client(request, partner_token=sandbox.partner_token)
    assert created.client_id is not None
    assert created.access_token is not None
    return created.client_id, created.access_token


def client(sandbox: Sandbox, token: str) -> ConfirmaClient:
    return ConfirmaClient(api_key=token, base_url=sandbox.base_url, config=FAST)


async def test_clients_created_through_post_client_each_get_their_own_token(
    confirma_sandbox: Sandbox,
) -> None:
    a_id, a_token = await onboard(confirma_sandbox, "A Oy")
    b_id, b_token = await onboard(confirma_sandbox, "B Oy")
    assert a_id != b_id
    assert a_token != b_token
    assert confirma_sandbox.requests_of(None, "POST /client") == 2  # the partner's: no client


async def test_each_clients_invoices_are_kept_apart(confirma_sandbox: Sandbox) -> None:
    _, a_token = await onboard(confirma_sandbox, "A Oy")
    b_id, b_token = await onboard(confirma_sandbox, "B Oy")
    async with client(confirma_sandbox, a_token) as a, client(confirma_sandbox, b_token) as b:
        await a.invoices.create(make_invoice(7001))
        await b.invoices.create(make_invoice(7001))  # the same number: another creditor's
        await b.invoices.create(make_invoice(7002))
        a_page = await a.invoices.distribution_window(TODAY, TODAY)
        b_page = await b.invoices.distribution_window(TODAY, TODAY)
    assert [r.invoice_number for r in a_page.distributions] == [7001]
    assert sorted(r.invoice_number for r in b_page.distributions) == [7001, 7002]
    assert confirma_sandbox.requests_of(b_id, "POST /invoice") == 2


async def test_a_fault_for_one_client_leaves_the_others_alone(confirma_sandbox: Sandbox) -> None:
    a_id, a_token = await onboard(confirma_sandbox, "A Oy")
    _, b_token = await onboard(confirma_sandbox, "B Oy")
    confirma_sandbox.faults.add(f"GET /invoice/distribution:503:client={a_id}")
    config = FAST.__class__(max_retries=0)
    async with (
        ConfirmaClient(api_key=a_token, base_url=confirma_sandbox.base_url, config=config) as a,
        client(confirma_sandbox, b_token) as b,
    ):
        with pytest.raises(ServerError):
            await a.invoices.distribution_window(TODAY, TODAY)
        page = await b.invoices.distribution_window(TODAY, TODAY)
    assert page.distributions == []


def test_a_client_fault_spec_keeps_the_ids_spelling() -> None:
    from confirma_async.testing import FaultRule

    rule = FaultRule.parse("POST /invoice:503:client=Client-ABC:x2")
    assert (rule.client, rule.count, rule.status) == ("Client-ABC", 2, 503)
    assert rule.matches("POST", "/invoice", "Client-ABC")
    assert not rule.matches("POST", "/invoice", "client-abc")
    assert not rule.matches("POST", "/invoice", None)


async def test_the_sandbox_counts_the_connections_requests_came_on(
    confirma_sandbox: Sandbox,
) -> None:
    async with client(confirma_sandbox, confirma_sandbox.client_token) as c:
        for _ in range(3):
            await c.payments.payments_window(TODAY, TODAY)
    assert confirma_sandbox.connections == 1


async def test_a_client_fault_added_through_the_admin_api_hits_only_that_client(
    confirma_sandbox: Sandbox,
) -> None:
    a_id, a_token = confirma_sandbox.add_client("A Oy")
    _, b_token = confirma_sandbox.add_client("B Oy")
    spec = {"spec": f"GET /payments:503:client={a_id}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(confirma_sandbox.admin_url + "/faults", json=spec) as answer,
    ):
        assert answer.status == 201
    config = FAST.__class__(max_retries=0)
    async with (
        ConfirmaClient(api_key=a_token, base_url=confirma_sandbox.base_url, config=config) as a,
        client(confirma_sandbox, b_token) as b,
    ):
        with pytest.raises(ServerError):
            await a.payments.payments_window(TODAY, TODAY)
        assert await b.payments.payments_window(TODAY, TODAY) == []
