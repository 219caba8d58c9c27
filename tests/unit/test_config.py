"""Configuration: environments, base URLs and ClientConfig validation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from confirma_async import ClientConfig, ConfigurationError, ConfirmaClient, Environment


def test_staging_and_production_have_the_documented_hosts_and_prefix() -> None:
    assert (
        Environment.STAGING.base_url
        == "https://staging-integrations.confirmafinance.com/api/v1/partner"
    )
    assert (
        Environment.PRODUCTION.base_url == "https://integrations.confirmafinance.com/api/v1/partner"
    )


async def test_client_defaults_to_staging() -> None:
    async with ConfirmaClient(api_key="t") as c:
        assert c.base_url == Environment.STAGING.base_url


async def test_any_base_url_is_accepted_without_trailing_slash() -> None:
    async with ConfirmaClient(api_key="t", base_url="http://127.0.0.1:8080/api/v1/partner/") as c:
        assert c.base_url == "http://127.0.0.1:8080/api/v1/partner"


@pytest.mark.parametrize("base_url", ["ftp://x", "not a url", "/relative"])
def test_bad_base_url_is_rejected_naming_the_field(base_url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        ConfirmaClient(api_key="t", base_url=base_url)
    assert info.value.field == "base_url"
    assert base_url in str(info.value)


def test_environment_and_base_url_together_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        ConfirmaClient(api_key="t", environment=Environment.STAGING, base_url="http://x")


@pytest.mark.parametrize("api_key", ["", "   ", None, 42])
def test_empty_api_key_is_rejected(api_key: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        ConfirmaClient(api_key=api_key)
    assert info.value.field == "api_key"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("connect_timeout", 0),
        ("read_timeout", -1.0),
        ("total_timeout", float("nan")),
        ("max_retries", -1),
        ("max_retries", 1.5),
        ("max_retries", True),
        ("backoff_base", 0),
        ("backoff_cap", "10"),
        ("retry_after_cap", -5),
        ("pool_limit", 0),
        ("keepalive_timeout", 0),
        ("user_agent", ""),
        ("token_advisory_window", timedelta(seconds=-1)),
        ("token_mandatory_window", 60),
    ],
)
def test_bad_config_value_raises_configuration_error_naming_the_field(
    field: str, value: Any
) -> None:
    with pytest.raises(ConfigurationError) as info:
        ClientConfig(**{field: value})
    assert info.value.field == field
    assert repr(value) in str(info.value)


def test_backoff_cap_below_base_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="backoff_cap"):
        ClientConfig(backoff_base=2.0, backoff_cap=1.0)


def test_mandatory_window_larger_than_advisory_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="token_mandatory_window"):
        ClientConfig(
            token_advisory_window=timedelta(minutes=1), token_mandatory_window=timedelta(minutes=2)
        )


def test_config_is_frozen() -> None:
    import attrs

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ClientConfig().max_retries = 9  # type: ignore[misc]


async def test_closed_client_refuses_requests() -> None:
    from confirma_async import ConfirmaError

    c = ConfirmaClient(api_key="t", base_url="http://127.0.0.1:9/api")
    await c.aclose()
    with pytest.raises(ConfirmaError, match="closed"):
        await c.transport.request("GET", "/payments")
