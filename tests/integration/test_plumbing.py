"""HTTP plumbing: proxies from the environment, a caller's session, TLS contexts, connectors."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from confirma_async import APIConnectionError, ClientClosedError, ConfigurationError, ConfirmaClient
from confirma_async.testing import Sandbox

from .plumbing_servers import PROXY_ENV, TLS, Proxy, tls_api


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest_asyncio.fixture
async def proxy() -> AsyncIterator[Proxy]:
    async with Proxy() as running:
        yield running


@pytest.fixture(scope="module")
def tls() -> Iterator[TLS]:
    return TLS()


def client_for(sandbox: Sandbox, **options: Any) -> ConfirmaClient:
    return ConfirmaClient(api_key=sandbox.client_token, base_url=sandbox.base_url, **options)


# --- proxies -------------------------------------------------------------------------------------


async def test_http_proxy_from_the_environment_sees_the_requests(
    confirma_sandbox: Sandbox, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    async with client_for(confirma_sandbox) as client:
        assert (await client.onboarding.validate_token()).is_valid
    assert proxy.seen == [f"GET {confirma_sandbox.base_url}/validate HTTP/1.1"]


async def test_no_proxy_covering_the_host_goes_direct(
    confirma_sandbox: Sandbox, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with client_for(confirma_sandbox) as client:
        assert (await client.onboarding.validate_token()).is_valid
    assert proxy.seen == []


async def test_https_proxy_from_the_environment_tunnels_to_the_api(
    tls: TLS, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    async with tls_api(tls) as (base_url, seen):
        port = base_url.split(":")[2].split("/")[0]
        client = ConfirmaClient(api_key="k" * 20, base_url=base_url, ssl=tls.client_context())
        async with client:
            assert (await client.onboarding.validate_token()).is_valid
    assert proxy.seen == [f"CONNECT 127.0.0.1:{port} HTTP/1.1"]
    assert len(seen) == 1  # and the API got the request, through the tunnel


async def test_trust_env_false_ignores_the_proxy_variables(
    confirma_sandbox: Sandbox, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    async with client_for(confirma_sandbox, trust_env=False) as client:
        assert (await client.onboarding.validate_token()).is_valid
    assert proxy.seen == []


async def test_an_explicit_proxy_is_used_without_any_variable(
    confirma_sandbox: Sandbox, proxy: Proxy
) -> None:
    async with client_for(confirma_sandbox, proxy=proxy.url) as client:
        assert (await client.onboarding.validate_token()).is_valid
    assert proxy.seen == [f"GET {confirma_sandbox.base_url}/validate HTTP/1.1"]


def test_a_proxy_off_loopback_never_gets_the_key_over_plain_http(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example.com:3128")
    with pytest.raises(ConfigurationError, match="in clear") as caught:
        ConfirmaClient(api_key="k" * 20, base_url="http://127.0.0.1:9/api/v1/partner")
    assert caught.value.field == "proxy"


# --- the caller's session ------------------------------------------------------------------------


async def test_a_callers_session_is_used_and_left_open(confirma_sandbox: Sandbox) -> None:
    sent: list[str] = []

    async def on_request_start(session: Any, ctx: Any, params: Any) -> None:
        sent.append(f"{params.method} {params.url.path}")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        async with client_for(confirma_sandbox, session=session) as client:
            assert (await client.onboarding.validate_token()).is_valid
        assert client.closed
        assert not session.closed  # the client does not close what it did not open
        assert sent == ["GET /api/v1/partner/validate"]
        async with session.get(confirma_sandbox.url + "/_sandbox/health") as still_usable:
            assert still_usable.status < 500


async def test_a_closed_callers_session_is_a_clear_error(confirma_sandbox: Sandbox) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    client = client_for(confirma_sandbox, session=session)
    with pytest.raises(ClientClosedError, match="session= is closed"):
        await client.onboarding.validate_token()
    await client.aclose()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ssl", ssl.create_default_context()),
        ("proxy", "http://127.0.0.1:3128"),
        ("trust_env", False),
        ("trace_configs", [aiohttp.TraceConfig()]),
        ("connector_options", {"limit_per_host": 4}),
    ],
)
async def test_options_that_cannot_apply_to_a_callers_session_are_refused(
    name: str, value: object
) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ConfigurationError, match="configure it on that session") as caught:
            ConfirmaClient(
                api_key="k" * 20, base_url="http://127.0.0.1:9", session=session, **{name: value}
            )
    assert caught.value.field == name


# --- TLS -----------------------------------------------------------------------------------------


async def test_a_custom_ssl_context_is_used(tls: TLS) -> None:
    async with (
        tls_api(tls) as (base_url, seen),
        ConfirmaClient(api_key="k" * 20, base_url=base_url, ssl=tls.client_context()) as client,
    ):
        assert (await client.onboarding.validate_token()).is_valid
    assert len(seen) == 1


async def test_a_ca_bundle_path_is_used(tls: TLS, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    tls.ca.cert_pem.write_to_path(str(bundle))
    async with (
        tls_api(tls) as (base_url, _),
        ConfirmaClient(api_key="k" * 20, base_url=base_url, ssl=bundle) as client,
    ):
        assert (await client.onboarding.validate_token()).is_valid


async def test_verification_stays_on_by_default(tls: TLS) -> None:
    async with (
        tls_api(tls) as (base_url, seen),
        ConfirmaClient(api_key="k" * 20, base_url=base_url) as client,
    ):
        with pytest.raises(APIConnectionError, match="certificate"):
            await client.onboarding.validate_token()
    assert seen == []


@pytest.mark.parametrize("value", [False, True])
def test_ssl_true_or_false_is_refused(value: bool) -> None:
    with pytest.raises(ConfigurationError, match="verification stays on"):
        ConfirmaClient(api_key="k" * 20, base_url="https://127.0.0.1:9", ssl=value)


def test_an_unreadable_ca_bundle_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot load the CA bundle") as caught:
        ConfirmaClient(api_key="k" * 20, base_url="https://127.0.0.1:9", ssl=tmp_path / "none.pem")
    assert caught.value.field == "ssl"


# --- connector options and trace configs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("limit", "ClientConfig.pool_limit"),
        ("keepalive_timeout", "ClientConfig.keepalive_timeout"),
        ("ssl", "ssl="),
        ("verify_ssl", "verification stays on"),
    ],
)
def test_connector_options_the_client_sets_itself_are_refused(option: str, says: str) -> None:
    with pytest.raises(ConfigurationError, match=says) as caught:
        ConfirmaClient(
            api_key="k" * 20, base_url="http://127.0.0.1:9", connector_options={option: False}
        )
    assert caught.value.field == f"connector_options.{option}"


async def test_connector_options_and_trace_configs_reach_the_session(
    confirma_sandbox: Sandbox,
) -> None:
    seen: list[SimpleNamespace] = []

    async def on_request_end(session: Any, ctx: Any, params: Any) -> None:
        seen.append(SimpleNamespace(status=params.response.status, session=session))

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    client = client_for(
        confirma_sandbox, trace_configs=[trace], connector_options={"limit_per_host": 3}
    )
    async with client:
        assert (await client.onboarding.validate_token()).is_valid
        session = seen[0].session
        assert session.connector.limit_per_host == 3
        assert session.connector.limit == client.config.pool_limit
    assert [s.status for s in seen] == [200]
