"""``confirma case`` and ``confirma token validate|renew``."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

from confirma_async._core.json import loads

from .conftest import ServerThread, invoices, invoke, write_jsonl

FIRST = 300_000_001


def distributed_case(server: ServerThread, tmp_path: Path) -> int:
    path = write_jsonl(tmp_path / "in.jsonl", invoices([FIRST], server.today))
    assert invoke(["submit", str(path)], server.env()).exit_code == 0
    server.advance(timedelta(minutes=10))
    case = server.call(lambda: server.sandbox.state.invoice(FIRST)).case  # type: ignore[union-attr]
    assert case is not None
    return case.case_id


def test_case_by_id_and_by_invoice_number(server: ServerThread, tmp_path: Path) -> None:
    case_id = distributed_case(server, tmp_path)

    table = invoke(["case", str(case_id)], server.env())
    by_invoice = invoke(["case", "--invoice-number", str(FIRST), "--format", "json"], server.env())

    assert table.exit_code == 0, table.output
    assert f"case {case_id}" in table.stdout
    assert "124.50" in table.stdout  # the balance of sample_invoice
    assert "CASE_CREATED" in table.stdout
    assert by_invoice.exit_code == 0, by_invoice.output
    details = loads(by_invoice.stdout)
    assert details["case"]["summary"]["caseId"] == case_id
    assert str(details["case"]["balance"]["capitalAmount"]) == "124.50"


def test_case_errors(server: ServerThread) -> None:
    missing = invoke(["case", "987654"], server.env())
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: NotFoundError: 404")
    assert invoke(["case"], server.env()).exit_code == 2
    assert invoke(["case", "1", "--invoice-number", "2"], server.env()).exit_code == 2


def test_token_validate(server: ServerThread) -> None:
    valid = invoke(["token", "validate"], server.env())
    assert valid.exit_code == 0
    assert valid.stdout.startswith("the API key is valid")

    expired = server.call(server.sandbox.create_token)
    server.call(lambda: server.sandbox.expire_token(expired))
    invalid = invoke(["token", "validate"], server.env(expired))
    assert invalid.exit_code == 1
    assert "NOT valid" in invalid.stdout


def test_token_renew_needs_somewhere_to_keep_the_new_key(server: ServerThread) -> None:
    token = server.call(server.sandbox.create_token)
    refused = invoke(["token", "renew"], server.env(token))
    assert refused.exit_code == 2
    assert "--save-to" in refused.stderr
    assert server.call(lambda: server.sandbox.state.requests_received("GET", "/renew")) == 0


def test_token_renew_saves_the_new_key_with_mode_0600(server: ServerThread, tmp_path: Path) -> None:
    old = server.call(server.sandbox.create_token)
    target = tmp_path / "key"
    target.write_text("previous\n")
    target.chmod(0o644)

    result = invoke(["token", "renew", "--save-to", str(target)], server.env(old))

    assert result.exit_code == 0, result.output
    new = target.read_text().strip()
    assert new not in (old, "previous")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "API key renewed" in result.stdout
    assert new not in result.output
    assert invoke(["token", "validate"], server.env(new)).exit_code == 0
    assert invoke(["token", "validate"], server.env(old)).exit_code == 1  # revoked
    assert [p.name for p in tmp_path.iterdir()] == ["key"]  # no temporary file left


def test_token_renew_fails_before_renewing_when_the_file_cannot_be_written(
    server: ServerThread, tmp_path: Path
) -> None:
    token = server.call(server.sandbox.create_token)
    target = tmp_path / "no-such-dir" / "key"
    result = invoke(["token", "renew", "--save-to", str(target)], server.env(token))
    assert result.exit_code == 2
    assert server.call(lambda: server.sandbox.state.requests_received("GET", "/renew")) == 0
    assert invoke(["token", "validate"], server.env(token)).exit_code == 0


def test_token_renew_show_token_prints_only_the_new_key_on_stdout(server: ServerThread) -> None:
    old = server.call(server.sandbox.create_token)
    result = invoke(["token", "renew", "--show-token"], server.env(old))
    assert result.exit_code == 0, result.output
    new = result.stdout.strip()
    assert new.startswith("sbx_client_")
    assert new != old
    assert old not in result.output
    assert "API key renewed" in result.stderr


def test_token_file_is_read_and_updated_by_renew(server: ServerThread, tmp_path: Path) -> None:
    old = server.call(server.sandbox.create_token)
    key_file = tmp_path / "key"
    key_file.write_text(old + "\n")
    env = {**server.env(), "CONFIRMA_API_KEY": None}

    renewed = invoke(["--token-file", str(key_file), "token", "renew"], env)

    assert renewed.exit_code == 0, renewed.output
    new = key_file.read_text().strip()
    assert new != old
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (
        invoke(["token", "validate"], {**env, "CONFIRMA_TOKEN_FILE": str(key_file)}).exit_code == 0
    )


def test_an_automatic_renewal_is_saved_to_the_token_file(
    server: ServerThread, tmp_path: Path
) -> None:
    expired = server.call(server.sandbox.create_token)
    server.call(lambda: server.sandbox.expire_token(expired))
    key_file = tmp_path / "key"
    key_file.write_text(expired)
    env = {**server.env(), "CONFIRMA_API_KEY": None, "CONFIRMA_TOKEN_FILE": str(key_file)}
    day = server.today.isoformat()

    result = invoke(["distributions", "--from", day, "--to", day], env)

    assert result.exit_code == 0, result.output
    assert "renewed; the new key was saved to" in result.stderr
    assert key_file.read_text().strip() != expired
    assert invoke(["token", "validate"], env).exit_code == 0


def test_an_automatic_renewal_without_a_token_file_warns(server: ServerThread) -> None:
    expired = server.call(server.sandbox.create_token)
    server.call(lambda: server.sandbox.expire_token(expired))
    day = server.today.isoformat()
    result = invoke(["distributions", "--from", day, "--to", day], server.env(expired))
    assert result.exit_code == 0, result.output
    assert "NOT saved" in result.stderr
