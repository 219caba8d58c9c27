"""The API key never appears in any output of any command, failing ones and logs included."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import Result

from confirma_async._cli import export

from .conftest import ServerThread, invoices, invoke, write_jsonl

FIRST = 310_000_001


def assert_hidden(result: Result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stdout, result.stdout
        assert secret not in result.stderr, result.stderr


def test_the_token_is_in_no_output_of_any_command(server: ServerThread, tmp_path: Path) -> None:
    sandbox = server.sandbox
    token = server.call(sandbox.create_token)
    env = server.env(token)
    day = server.today
    path = write_jsonl(tmp_path / "in.jsonl", [*invoices([FIRST, FIRST + 1], day), b"{broken"])
    actions = write_jsonl(
        tmp_path / "actions.jsonl",
        [{"code": "COMMENT", "comment": "hi", "data": {"invoiceNumber": FIRST}}, b"[]"],
    )
    dates = ["--from", (day - timedelta(days=1)).isoformat(), "--to", day.isoformat()]
    runs = {
        "submit": ["-vv", "submit", str(path), "--journal", str(tmp_path / "j.jsonl")],
        "actions": ["-vv", "actions", "submit", str(actions), "--progress"],
        "distributions": ["-vv", "distributions", *dates],
        "distributions csv": ["distributions", *dates, "--format", "csv"],
        "payments": ["-vv", "payments", *dates],
        "settlements": ["settlements", *dates, "--format", "csv"],
        "unfetched": ["settlements", "--unfetched-only"],
        "case": ["case", "--invoice-number", str(FIRST)],
        "case json": ["case", "--invoice-number", str(FIRST), "--format", "json"],
        "missing case": ["-vv", "case", "424242"],
        "validate": ["-vv", "token", "validate"],
        "renew refused": ["token", "renew"],
        "bad environment": ["--environment", "moon", "token", "validate"],
        "help": ["--help"],
        "typed as a command": [token],
        "typed as a value": ["submit", str(path), "--concurrency", token],
        "typed twice": ["--api-key", token, token],
        "typed as a date": ["--api-key", token, "payments", "--from", token, "--to", token],
    }
    for name, args in runs.items():
        result = invoke(args, env)
        assert result.exit_code in (0, 1, 2), name
        assert_hidden(result, token)
        if name == "distributions":
            assert "confirma_request method=GET path=/invoice/distribution" in result.stderr

    server.advance(timedelta(minutes=10))
    saved = tmp_path / "new-key"
    renewed = invoke(["-vv", "token", "renew", "--save-to", str(saved)], env)
    assert renewed.exit_code == 0
    new = saved.read_text().strip()
    assert_hidden(renewed, token, new)

    # The old token is revoked now: every command meets 401s (and a failing renewal).
    for name, args in runs.items():
        result = invoke(args, env)
        assert_hidden(result, token, new)
        if name in ("distributions", "payments", "case"):
            assert result.exit_code == 1, name
            assert re.search(r"^Error: .*401 GET /renew \[UNAUTHORIZED\]", result.stderr, re.M)
    stopped = invoke(["submit", str(path)], env)
    assert stopped.exit_code == 1
    assert "stopped early: the API rejected the API key" in stopped.stdout
    assert_hidden(stopped, token, new)


def test_the_token_is_scrubbed_even_from_an_unexpected_traceback(
    server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = server.call(server.sandbox.create_token)

    async def explode(*args: object, **kwargs: object) -> int:
        raise RuntimeError(f"something printed the key {token} by mistake")

    monkeypatch.setattr(export, "export", explode)
    day = server.today.isoformat()
    result = invoke(["distributions", "--from", day, "--to", day], server.env(token))
    assert result.exit_code == 1
    assert "unexpected error" in result.stderr
    assert "Traceback" in result.stderr
    assert "<redacted>" in result.stderr
    assert_hidden(result, token)


def test_importing_the_library_imports_neither_click_nor_rich() -> None:
    # structlog itself imports rich when it is installed (structlog.dev), so rich is measured
    # against a baseline taken after importing structlog; click must not be loaded at all.
    code = """
import sys, structlog
before = set(sys.modules)
import confirma_async, confirma_async.testing, confirma_async.testing.pytest_plugin
new = {m.split(".")[0] for m in set(sys.modules) - before}
cli = {m for m in sys.modules if m == "confirma_async.cli" or m.startswith("confirma_async._cli")}
print(sorted((new & {"click", "rich"}) | cli), "click" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[] False"
