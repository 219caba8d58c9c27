"""``ConfirmaClient()`` configured from the environment, with the command line's variable names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from confirma_async import (
    AuthenticationError,
    ConfigurationError,
    ConfirmaClient,
    Environment,
)
from confirma_async._cli.app import cli
from confirma_async._core import env
from confirma_async.testing import Sandbox

VARIABLES = (env.API_KEY, env.ENVIRONMENT, env.BASE_URL)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


async def test_a_client_with_no_arguments_reads_key_and_base_url(
    confirma_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIRMA_API_KEY", confirma_sandbox.client_token)
    monkeypatch.setenv("CONFIRMA_BASE_URL", confirma_sandbox.base_url)
    async with ConfirmaClient() as client:
        assert client.base_url == confirma_sandbox.base_url
        assert (await client.onboarding.validate_token()).is_valid


@pytest.mark.parametrize(
    ("name", "environment"),
    [("production", Environment.PRODUCTION), ("Staging", Environment.STAGING)],
)
def test_the_environment_variable_names_the_environment(
    monkeypatch: pytest.MonkeyPatch, name: str, environment: Environment
) -> None:
    monkeypatch.setenv("CONFIRMA_API_KEY", "k" * 20)
    monkeypatch.setenv("CONFIRMA_ENVIRONMENT", name)
    assert ConfirmaClient().base_url == environment.base_url


def test_explicit_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIRMA_API_KEY", "from-env-" + "k" * 20)
    monkeypatch.setenv("CONFIRMA_ENVIRONMENT", "production")
    monkeypatch.setenv("CONFIRMA_BASE_URL", "http://127.0.0.1:1/api/v1/partner")  # both: ignored
    client = ConfirmaClient(api_key="explicit-" + "k" * 20, environment=Environment.STAGING)
    assert client.base_url == Environment.STAGING.base_url
    assert client.tokens.auth_header()[1] == "explicit-" + "k" * 20
    client = ConfirmaClient(base_url="http://127.0.0.1:2/api/v1/partner")
    assert client.base_url == "http://127.0.0.1:2/api/v1/partner"
    assert client.tokens.auth_header()[1] == "from-env-" + "k" * 20


def test_without_any_configuration_the_default_is_staging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIRMA_API_KEY", "k" * 20)
    assert ConfirmaClient().base_url == Environment.STAGING.base_url


def test_no_key_anywhere_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="pass api_key= or set CONFIRMA_API_KEY") as caught:
        ConfirmaClient(environment=Environment.STAGING)
    assert caught.value.field == "api_key"


def test_both_environment_and_base_url_variables_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONFIRMA_API_KEY", "k" * 20)
    monkeypatch.setenv("CONFIRMA_ENVIRONMENT", "staging")
    monkeypatch.setenv("CONFIRMA_BASE_URL", "http://127.0.0.1:1/api/v1/partner")
    with pytest.raises(ConfigurationError, match="not both") as caught:
        ConfirmaClient()
    assert caught.value.field == "CONFIRMA_BASE_URL"


def test_an_unknown_environment_name_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIRMA_API_KEY", "k" * 20)
    monkeypatch.setenv("CONFIRMA_ENVIRONMENT", "prod")
    with pytest.raises(ConfigurationError, match="staging or production") as caught:
        ConfirmaClient()
    assert (caught.value.field, caught.value.value) == ("CONFIRMA_ENVIRONMENT", "prod")


def test_the_command_line_reads_the_same_variables() -> None:
    envvars = {p.name: p.envvar for p in cli.params}
    assert envvars["api_key"] == env.API_KEY == "CONFIRMA_API_KEY"
    assert envvars["environment"] == env.ENVIRONMENT == "CONFIRMA_ENVIRONMENT"
    assert envvars["base_url"] == env.BASE_URL == "CONFIRMA_BASE_URL"


# --- errors name the endpoint the user called -----------------------------------------------------


async def test_a_bad_key_names_the_called_endpoint_with_the_renewal_as_cause(
    confirma_sandbox: Sandbox,
) -> None:
    async with ConfirmaClient(api_key="bad-" + "k" * 20, base_url=confirma_sandbox.base_url) as c:
        with pytest.raises(AuthenticationError) as caught:
            await c.invoices.case(case_id=1)
    assert str(caught.value).startswith("401 GET /invoice/case")
    assert caught.value.path == "/invoice/case"
    renewal = caught.value.__cause__
    assert isinstance(renewal, AuthenticationError)
    assert renewal.path == "/renew"


async def test_a_renewal_that_fails_before_sending_names_the_called_endpoint(
    confirma_sandbox: Sandbox,
) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=5)  # inside the mandatory window: renew first
    client = ConfirmaClient(
        api_key="bad-" + "k" * 20, base_url=confirma_sandbox.base_url, token_expires_at=soon
    )
    async with client:
        with pytest.raises(AuthenticationError) as caught:
            await client.invoices.case(case_id=1)
    assert str(caught.value).startswith("401 GET /invoice/case")
    assert "not sent: renewing the token first failed" in str(caught.value)
    assert not caught.value.outcome_unknown
    assert isinstance(caught.value.__cause__, AuthenticationError)
    assert caught.value.__cause__.path == "/renew"
