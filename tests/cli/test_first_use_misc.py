"""First-use rough edges: help text, the sandbox's banner, a base URL without the API path, the
case's events in time order."""

from __future__ import annotations

import re
import shlex
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from confirma_async.cli import cli
from confirma_async.testing import sample_invoice

from .conftest import LineReader, ServerThread, invoke, spawn, write_jsonl


def commands(group: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from commands(command, (*path, name))


@pytest.mark.parametrize("path", list(commands(cli)), ids=" ".join)
def test_help_shows_no_markup_of_the_docstrings(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])

    assert result.exit_code == 0
    assert not re.search(r"``|:meth:|:class:|:func:", result.output), result.output


def test_the_sandbox_prints_its_faults_as_written_and_lines_to_paste(tmp_path: Path) -> None:
    spec = "POST /invoice:503:0.1"
    proc = spawn(["sandbox", "--port", "0", "--fault", spec, "--fault", "*:latency=1ms"], {})
    try:
        out = LineReader(proc.stdout)  # type: ignore[arg-type]
        lines = []
        while not (line := out.next().decode()).startswith("Press Ctrl-C"):
            lines.append(line.rstrip("\n"))
        banner = "\n".join(lines)
        env = {}
        for line in lines:
            if line.strip().startswith("export "):
                name, _, value = line.strip().removeprefix("export ").partition("=")
                env[name] = shlex.split(value)[0]
        # The pasted lines are enough to talk to it.
        validated = invoke(["token", "validate"], {**env, "CONFIRMA_ENVIRONMENT": None})
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)

    assert "FaultRule(" not in banner
    assert f"  fault:         {spec}" in banner
    assert "  fault:         *:latency=1ms" in banner
    assert "unset CONFIRMA_ENVIRONMENT CONFIRMA_TOKEN_FILE" in banner
    assert set(env) == {"CONFIRMA_BASE_URL", "CONFIRMA_API_KEY", "CONFIRMA_PARTNER_TOKEN"}
    assert validated.exit_code == 0, validated.output


def test_a_base_url_without_the_api_path_gets_a_hint_with_its_404(server: ServerThread) -> None:
    root = server.sandbox.base_url.removesuffix("/api/v1/partner")
    env = {**server.env(), "CONFIRMA_BASE_URL": root}

    result = invoke(["case", "--invoice-number", "1"], env)
    right = invoke(["case", "--invoice-number", "1"], server.env())

    assert result.exit_code == 1
    assert f"Hint: the base URL {root} does not end with /api/v1/partner" in result.stderr
    assert right.exit_code == 1  # a real 404 (no such case) gets no such hint
    assert "Hint" not in right.stderr


def test_a_case_lists_its_events_in_time_order(server: ServerThread, tmp_path: Path) -> None:
    number = 284_000_001
    old = server.today - timedelta(days=300)  # long past due when it arrives
    path = write_jsonl(tmp_path / "in.jsonl", [sample_invoice(number, invoice_date=old)])
    assert invoke(["submit", str(path)], server.env()).exit_code == 0
    server.advance(timedelta(hours=1))

    result = invoke(["case", "--invoice-number", str(number)], server.env())

    assert result.exit_code == 0, result.output
    events = re.findall(r"^\s+(\d{4}-\d\d-\d\d \d\d:\d\d)\S*\s+([A-Z_]+)", result.stdout, re.M)
    types = [kind for _, kind in events]
    assert types[:2] == ["CASE_CREATED", "REMINDER_SENT"], result.stdout
    assert [when for when, _ in events] == sorted(when for when, _ in events)
