"""FileTokenStore: tokens that outlive the process, shared by the processes of one host."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from confirma_async import (
    AuthenticationError,
    ConfirmaClient,
    FileTokenStore,
    TokenKey,
    TokenStoreError,
)
from confirma_async.testing import Sandbox

from .conftest import FAST, TODAY

KEY = TokenKey("https://api.example.test/api/v1/partner", "creditor-1")


async def test_a_saved_token_is_read_back_by_another_store_on_the_same_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tokens.json"
    expires = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    saved = await FileTokenStore(path).save(KEY, "tok-1", expires, expected_version=0)
    loaded = await FileTokenStore(path).load(KEY)
    assert saved is not None
    assert loaded is not None
    assert (loaded.token, loaded.version, loaded.expires_at) == ("tok-1", 1, expires)


async def test_the_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    await FileTokenStore(path).save(KEY, "tok-1", None, expected_version=0)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_save_from_a_stale_version_is_refused(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    await store.save(KEY, "tok-1", None, expected_version=0)
    await store.save(KEY, "tok-2", None, expected_version=1)
    assert await store.save(KEY, "tok-x", None, expected_version=1) is None
    current = await store.load(KEY)
    assert current is not None
    assert (current.token, current.version) == ("tok-2", 2)


async def test_keys_are_kept_apart(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    other = TokenKey(KEY.target, "creditor-2")
    await store.save(KEY, "tok-a", None, expected_version=0)
    await store.save(other, "tok-b", None, expected_version=0)
    a, b = await store.load(KEY), await store.load(other)
    assert a is not None
    assert b is not None
    assert (a.token, b.token) == ("tok-a", "tok-b")


async def test_listeners_hear_of_a_renewal_committed_through_the_store(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    heard: list[int] = []
    subscription = await store.subscribe(KEY, lambda state: heard.append(state.version))
    async with store.renewal(KEY) as guard:
        assert guard.current is None
        await guard.commit("tok-1", None)
    await subscription.close()
    await store.save(KEY, "tok-2", None, expected_version=1)
    assert heard == [1]


_OTHER_PROCESS = """
import asyncio, sys
from confirma_async import FileTokenStore, TokenKey

async def main():
    store = FileTokenStore(sys.argv[1])
    key = TokenKey(sys.argv[2], sys.argv[3])
    print("waiting", flush=True)
    async with store.renewal(key) as guard:
        print(guard.current.version if guard.current else 0, flush=True)

asyncio.run(main())
"""


async def test_a_renewal_in_another_process_waits_and_then_sees_the_new_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    await store.save(KEY, "tok-1", None, expected_version=0)
    async with store.renewal(KEY) as guard:
        other = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _OTHER_PROCESS,
            str(path),
            KEY.target,
            KEY.client,
            stdout=subprocess.PIPE,
        )
        assert other.stdout is not None
        assert await other.stdout.readline() == b"waiting\n"
        await guard.commit("tok-2", None)  # while the other process is blocked on the lock
    out, _ = await other.communicate()
    assert other.returncode == 0
    assert out.decode().split() == ["2"]  # it renewed nothing: it saw version 2


async def test_a_file_that_is_not_a_token_file_is_an_error_that_never_quotes_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"secret-looking": "tok-zzz"}')
    with pytest.raises(TokenStoreError, match="not a token file") as caught:
        await FileTokenStore(path).load(KEY)
    assert "tok-zzz" not in str(caught.value)


def client_of(sandbox: Sandbox, store: FileTokenStore) -> ConfirmaClient:
    return ConfirmaClient(
        api_key=sandbox.client_token,
        base_url=sandbox.base_url,
        config=FAST,
        client_id=sandbox.client_id,
        token_store=store,
    )


async def test_two_clients_on_one_file_renew_once_and_a_restart_keeps_the_new_token(
    confirma_sandbox: Sandbox, tmp_path: Path
) -> None:
    path = tmp_path / "tokens.json"
    async with (
        client_of(confirma_sandbox, FileTokenStore(path)) as a,
        client_of(confirma_sandbox, FileTokenStore(path)) as b,
    ):
        await asyncio.gather(a.payments.payments_window(TODAY, TODAY), b.tokens.ensure_fresh())
        confirma_sandbox.expire_tokens_at(confirma_sandbox.clock.now())
        await a.payments.payments_window(TODAY, TODAY)  # 401: a renews, writes the file
        await b.payments.payments_window(TODAY, TODAY)  # 401: b re-reads, uses a's token
        assert confirma_sandbox.state.requests_received("GET", "/renew") == 1
        renewed = a.tokens.auth_header()
        assert b.tokens.auth_header() == renewed
    confirma_sandbox.revoke_token(confirma_sandbox.client_token)  # the first token is gone
    async with client_of(confirma_sandbox, FileTokenStore(path)) as restarted:
        await restarted.payments.payments_window(TODAY, TODAY)  # uses the stored token
        assert restarted.tokens.auth_header() == renewed
    assert confirma_sandbox.state.requests_received("GET", "/renew") == 1


async def test_a_client_whose_renewal_failed_takes_a_token_another_client_stored_meanwhile(
    confirma_sandbox: Sandbox, tmp_path: Path
) -> None:
    # b's failed renewal stands for 30 s (no renewal storm), but not against a newer stored token:
    # an operator's set_token (or another replica's renewal) reaches it at its next 401 (A109).
    sandbox, path = confirma_sandbox, tmp_path / "tokens.json"
    async with (
        client_of(sandbox, FileTokenStore(path)) as a,
        client_of(sandbox, FileTokenStore(path)) as b,
    ):
        await asyncio.gather(a.tokens.ensure_fresh(), b.tokens.ensure_fresh())
        sandbox.expire_tokens_at(sandbox.clock.now())
        sandbox.faults.fail_next(1, "GET", "/renew", status=503)
        with pytest.raises(AuthenticationError):
            await b.payments.payments_window(TODAY, TODAY)  # 401, the renewal fails: it stands

        await a.tokens.set_token(sandbox.create_token())  # the operator's new token, stored
        await b.payments.payments_window(TODAY, TODAY)  # 401: takes the stored token, replays

        assert b.tokens.auth_header() == a.tokens.auth_header()
    assert sandbox.state.requests_received("GET", "/renew") == 1
