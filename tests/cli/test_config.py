"""Where the CLI's client comes from: API key, environment, base URL, token file."""

from __future__ import annotations

from pathlib import Path

import pytest

from confirma_async import Environment, __version__
from confirma_async._cli.settings import CliConfigError, Settings

from .conftest import ServerThread, invoke

UNSET = {
    "CONFIRMA_API_KEY": None,
    "CONFIRMA_BASE_URL": None,
    "CONFIRMA_ENVIRONMENT": None,
    "CONFIRMA_TOKEN_FILE": None,
}


def test_flags_work_without_environment_variables(server: ServerThread) -> None:
    sandbox = server.sandbox
    args = ["--api-key", sandbox.client_token, "--base-url", sandbox.base_url, "token", "validate"]
    result = invoke(args, UNSET)
    assert result.exit_code == 0, result.output


def test_a_base_url_flag_beats_the_environment_variable(server: ServerThread) -> None:
    env = {**server.env(), "CONFIRMA_BASE_URL": None, "CONFIRMA_ENVIRONMENT": "production"}
    result = invoke(["--base-url", server.sandbox.base_url, "token", "validate"], env)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "no API key"),
        ([], {"CONFIRMA_API_KEY": "  "}, "no API key"),
        (
            [],
            {"CONFIRMA_API_KEY": "fake-key", "CONFIRMA_ENVIRONMENT": "moon"},
            "unknown environment",
        ),
        (
            [],
            {
                "CONFIRMA_API_KEY": "fake-key",
                "CONFIRMA_ENVIRONMENT": "staging",
                "CONFIRMA_BASE_URL": "x",
            },
            "not both",
        ),
        (["--base-url", "ftp://example.com"], {"CONFIRMA_API_KEY": "fake-key"}, "http(s) URL"),
        (["--api-key", "fake-key", "--token-file", "f"], {}, "not both"),
        (["--token-file", "/nonexistent/key"], {}, "cannot read the token file"),
    ],
)
def test_configuration_errors_exit_2(args: list[str], env: dict[str, str], message: str) -> None:
    result = invoke([*args, "token", "validate"], {**UNSET, **env})
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_empty_token_file_is_a_configuration_error(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("\n")
    result = invoke(["--token-file", str(key_file), "token", "validate"], UNSET)
    assert result.exit_code == 2
    assert "is empty" in result.stderr


def test_endpoint_resolution() -> None:
    assert Settings().endpoint() == (None, None)  # the client's default: staging
    assert Settings(environment="Production").endpoint() == (Environment.PRODUCTION, None)
    env_vs_flag = Settings(environment="staging", base_url="http://x", base_url_from_flag=True)
    assert env_vs_flag.endpoint() == (None, "http://x")
    flag_vs_env = Settings(environment="staging", base_url="http://x", environment_from_flag=True)
    assert flag_vs_env.endpoint() == (Environment.STAGING, None)
    with pytest.raises(CliConfigError):
        Settings(environment="staging", base_url="http://x").endpoint()


def test_api_key_resolution(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("from-file\n")
    assert Settings(api_key="from-env").read_api_key() == "from-env"
    assert Settings(token_file=str(key_file)).read_api_key() == "from-file"
    flag_file = Settings(api_key="from-env", token_file=str(key_file), token_file_from_flag=True)
    assert flag_file.read_api_key() == "from-file"
    flag_key = Settings(api_key="from-flag", token_file=str(key_file), api_key_from_flag=True)
    assert flag_key.read_api_key() == "from-flag"


def test_secrets_are_scrubbed() -> None:
    settings = Settings()
    settings.secrets.add("sekrit-token")
    assert settings.secrets.scrub("a sekrit-token b") == "a <redacted> b"


def test_version_and_help() -> None:
    assert __version__ in invoke(["--version"], UNSET).stdout
    text = invoke(["--help"], UNSET).stdout
    for command in ("submit", "actions", "distributions", "payments", "settlements", "case"):
        assert command in text
    assert "CONFIRMA_API_KEY" in text
    assert "130" in text
