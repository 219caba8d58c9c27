"""ConfirmaPartner against the sandbox: onboarding, clients on one session, renewals per client."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from confirma_async import (
    ClientClosedError,
    ConfigurationError,
    ConfirmaPartner,
    MemoryTokenStore,
    NewClientRequest,
    TokenKey,
    TokenNotStoredError,
)
from confirma_async.models._convert import from_wire
from confirma_async.partner import Lane
from confirma_async.testing import Sandbox, sample_client

from .conftest import FAST, TODAY, make_invoice
from .test_faults import Recorder


def new_client(n: int) -> NewClientRequest:
    return from_wire(sample_client(f"Creditor {n} Oy"), NewClientRequest)


async def test_onboarding_stores_the_token_before_it_returns(partner: ConfirmaPartner) -> None:
    created = await partner.onboard(new_client(1))
    assert created.client_id is not None
    stored = await partner.token_store.load(TokenKey(partner.base_url, created.client_id))
    assert stored is not None
    assert stored.token == created.access_token


async def test_a_client_acts_with_the_token_the_store_holds(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    created = await partner.onboard(new_client(1))
    assert created.client_id is not None
    client = partner.client(created.client_id)
    assert partner.client(created.client_id) is client
    await client.invoices.create(make_invoice(9001))
    page = await client.invoices.distribution_window(TODAY, TODAY)
    assert [r.invoice_number for r in page.distributions] == [9001]
    assert confirma_sandbox.requests_of(created.client_id, "POST /invoice") == 1


async def test_a_client_without_a_stored_token_fails_naming_it_and_sends_nothing(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    with pytest.raises(ConfigurationError, match="client-0099") as caught:
        await partner.client("client-0099").payments.payments_window(TODAY, TODAY)
    assert caught.value.field == "client_id"
    assert sum(confirma_sandbox.state.requests.values()) == 0


class FailingStore(MemoryTokenStore):
    def renewal(self, key: TokenKey) -> Any:
        raise OSError("database is down")


async def test_a_failed_store_write_returns_the_token_inside_the_error_never_logged(
    confirma_sandbox: Sandbox,
) -> None:
    log = Recorder()
    async with ConfirmaPartner(
        partner_token=confirma_sandbox.partner_token,
        base_url=confirma_sandbox.base_url,
        config=FAST,
        token_store=FailingStore(),
        logger=log,
    ) as partner:
        with pytest.raises(TokenNotStoredError) as caught:
            await partner.onboard(new_client(1))
    error = caught.value
    token = error.new_client.access_token
    assert token is not None
    assert token.startswith("sbx_client_")
    assert error.new_client.client_id == "client-0002"
    assert isinstance(error.__cause__, OSError)
    assert token not in f"{error} {error!r} {error.new_client!r} {error.args}"
    assert token not in repr(log.events)
    assert ("partner_token_not_stored", "client-0002") in [
        (event, fields.get("client_id")) for event, fields in log.events
    ]


async def test_a_partner_client_has_the_batch_api(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    created = await partner.onboard(new_client(1))
    assert created.client_id is not None
    client = partner.client(created.client_id)
    invoices = [make_invoice(n) for n in range(100, 120)]
    results = [r async for r in client.batch(8).submit_invoices(invoices)]
    assert all(r.ok for r in results)
    assert len(results) == 20
    assert confirma_sandbox.requests_of(created.client_id, "POST /invoice") == 20
    assert partner.metrics()[created.client_id].sent == 20


async def test_closing_the_partner_closes_the_session_and_its_clients(
    confirma_sandbox: Sandbox,
) -> None:
    partner = ConfirmaPartner(
        partner_token=confirma_sandbox.partner_token, base_url=confirma_sandbox.base_url
    )
    async with partner:
        created = await partner.onboard(new_client(1))
        assert created.client_id is not None
        client = partner.client(created.client_id)
        session = partner.shared_session()
    assert session.closed
    assert client.closed
    with pytest.raises(ClientClosedError):
        await client.payments.payments_window(TODAY, TODAY)
    with pytest.raises(ClientClosedError):
        partner.client("client-0009")


async def onboard_many(partner: ConfirmaPartner, n: int) -> list[str]:
    created = await asyncio.gather(*(partner.onboard(new_client(i)) for i in range(n)))
    ids = [c.client_id for c in created]
    assert None not in ids
    return [i for i in ids if i is not None]


async def test_200_clients_share_one_connection_pool(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    ids = await onboard_many(partner, 200)
    clients = [partner.client(i) for i in ids]
    await asyncio.gather(*(c.payments.payments_window(TODAY, TODAY) for c in clients for _ in "ab"))
    # 601 requests (200 onboardings, 400 reads) on at most max_in_flight=4 sockets
    assert confirma_sandbox.connections <= 4
    assert all(c._session is None for c in clients)  # no client made a session of its own
    assert all(m.sent == 2 for i, m in partner.metrics().items() if i in ids)


async def test_each_expired_client_token_is_renewed_once(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    ids = await onboard_many(partner, 200)
    clients = [partner.client(i) for i in ids]
    await asyncio.gather(*(c.payments.payments_window(TODAY, TODAY) for c in clients))
    confirma_sandbox.expire_tokens_at(confirma_sandbox.clock.now())
    reads = (c.payments.payments_window(TODAY, TODAY) for c in clients for _ in "abc")
    await asyncio.gather(*reads)  # 3 concurrent calls per client meet its expired token
    renewals = [confirma_sandbox.requests_of(i, "GET /renew") for i in ids]
    assert renewals == [1] * 200
    assert [c.tokens.renewals for c in clients] == [1] * 200
    for client in clients:
        stored = await partner.token_store.load(client.tokens.key)
        assert stored is not None
        assert stored.version == 2  # onboarding's token, then the renewed one


async def test_a_client_onboarded_elsewhere_is_registered_with_its_token(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    client_id, token = confirma_sandbox.add_client("Elsewhere Oy")
    client = await partner.register(client_id, token)
    assert client is partner.client(client_id)
    await client.payments.payments_window(TODAY, TODAY)
    assert confirma_sandbox.requests_of(client_id) == 1


async def test_a_per_client_cap_holds_one_clients_bulk_upload_to_it(
    confirma_sandbox: Sandbox,
) -> None:
    most: dict[str, int] = {}

    def watch(event: str, lane: Lane) -> None:
        if event == "granted":
            most[lane.name] = max(most.get(lane.name, 0), lane.in_flight)

    async with ConfirmaPartner(
        partner_token=confirma_sandbox.partner_token,
        base_url=confirma_sandbox.base_url,
        config=FAST,
        per_client_limit=2,
        observer=watch,
    ) as partner:
        client_id, token = confirma_sandbox.add_client("Capped Oy")
        client = await partner.register(client_id, token)
        invoices = [make_invoice(n) for n in range(1, 41)]
        results = [r async for r in client.batch(32).submit_invoices(invoices)]
    assert all(r.ok for r in results)
    assert most[client_id] == 2
    assert partner.metrics()[client_id].waited > 0


async def test_a_callers_session_carries_every_client_and_stays_open(
    confirma_sandbox: Sandbox,
) -> None:
    async with aiohttp.ClientSession() as session:
        async with ConfirmaPartner(
            partner_token=confirma_sandbox.partner_token,
            base_url=confirma_sandbox.base_url,
            config=FAST,
            session=session,
        ) as partner:
            created = await partner.onboard(new_client(1))
            assert created.client_id is not None
            client = partner.client(created.client_id)
            await client.payments.payments_window(TODAY, TODAY)
            assert partner.shared_session() is session
        assert not session.closed
    assert partner.metrics()[created.client_id].sent == 1  # through the scheduler all the same


async def test_a_with_options_view_of_a_partner_client_passes_the_scheduler(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    client_id, token = confirma_sandbox.add_client("Views Oy")
    client = await partner.register(client_id, token)
    view = client.with_options(timeout=5, headers={"X-Trace": "1"})
    await view.payments.payments_window(TODAY, TODAY)
    await view.aclose()  # a view closes nothing
    await client.payments.payments_window(TODAY, TODAY)
    assert partner.metrics()[client_id].sent == 2
    assert not client.closed
