"""A token taken from the store on a 401 that turns out expired too is renewed, not raised."""

from __future__ import annotations

from pathlib import Path

from confirma_async import ConfirmaClient, FileTokenStore
from confirma_async.testing import Sandbox

from .conftest import FAST, TODAY


async def test_a_lagging_replica_renews_when_the_token_it_adopted_has_expired(
    confirma_sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox = confirma_sandbox
    path = tmp_path / "tokens.json"  # a store that notifies nobody: B learns on its 401
    options = {"api_key": sandbox.client_token, "base_url": sandbox.base_url, "config": FAST}
    async with (
        ConfirmaClient(
            **options, client_id=sandbox.client_id, token_store=FileTokenStore(path)
        ) as a,
        ConfirmaClient(
            **options, client_id=sandbox.client_id, token_store=FileTokenStore(path)
        ) as b,
    ):
        await a.payments.payments_window(TODAY, TODAY)
        await b.payments.payments_window(TODAY, TODAY)
        await a.onboarding.renew_token()  # the first token is revoked; B still holds it
        stored = await a.tokens.store.load(a.tokens.key)
        assert stored is not None
        sandbox.expire_token(stored.token)  # the renewed token expires before B ever used it
        await b.payments.payments_window(TODAY, TODAY)  # 401, adopts it, 401 again, renews
    assert sandbox.state.requests_received("GET", "/renew") == 2
    assert (b.tokens.adoptions, b.tokens.renewals) == (1, 1)
