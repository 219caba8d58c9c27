"""Findings 3 and 5: plain http only to loopback; every configuration value checked up front."""

from __future__ import annotations

import pytest

from confirma_async import ClientConfig, ConfigurationError, ConfirmaClient

KEY = "key-SECRET-CONFIG-5"


@pytest.mark.parametrize(
    "url",
    [
        "http://cfis.example.com/api/v1/partner",
        "http://10.0.0.7:8080/api/v1/partner",
        "http://[2001:db8::1]/api/v1/partner",
    ],
)
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ConfirmaClient(api_key=KEY, base_url=url)
    assert caught.value.field == "base_url"
    assert "https" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api/v1/partner",
        "http://localhost:8080/api/v1/partner",
        "http://[::1]:8080/api/v1/partner",
        "https://cfis.example.com/api/v1/partner",
    ],
)
def test_https_anywhere_and_http_to_loopback_are_accepted(url: str) -> None:
    assert ConfirmaClient(api_key=KEY, base_url=url).base_url == url


def test_plain_http_elsewhere_is_accepted_when_the_user_says_so() -> None:
    config = ClientConfig(allow_insecure_http=True)
    url = "http://cfis.internal/api/v1/partner"
    assert ConfirmaClient(api_key=KEY, base_url=url, config=config).base_url == url


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_a_port_out_of_range_is_a_configuration_error(port: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ConfirmaClient(api_key=KEY, base_url=f"http://127.0.0.1:{port}/api/v1/partner")
    assert caught.value.field == "base_url"


@pytest.mark.parametrize("key", ["abc\r\nX-Evil: 1", "abc\n", "a\x00b", "tök"])
def test_a_key_that_cannot_be_a_header_is_refused_without_showing_it(key: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ConfirmaClient(api_key=key, base_url="http://127.0.0.1:1/api/v1/partner")
    assert caught.value.field == "api_key"
    assert key not in str(caught.value)


def test_the_pool_timeout_must_be_below_the_total_timeout() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ClientConfig(total_timeout=10, pool_timeout=10)
    assert caught.value.field == "pool_timeout"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_response_bytes", 0),
        ("max_error_body_bytes", -5),
        ("follow_redirects", "yes"),
        ("allow_insecure_http", 1),
    ],
)
def test_new_settings_are_checked(field: str, value: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ClientConfig(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field
