"""``confirma sandbox`` in a subprocess, argument parsing, and the pytest plugin's overrides."""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import socket
import sys
from datetime import timedelta

import aiohttp
import pytest

from confirma_async.cli import cli, main, sandbox_config
from confirma_async.testing import FaultRule, Sandbox, SandboxConfig


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return SandboxConfig(seed=99, max_records_per_response=5)


async def test_the_fixture_config_can_be_overridden(confirma_sandbox: Sandbox) -> None:
    assert confirma_sandbox.config.seed == 99
    assert confirma_sandbox.base_url.startswith("http://127.0.0.1:")
    assert confirma_sandbox.base_url.endswith("/api/v1/partner")


def test_the_plugin_is_registered_through_its_entry_point(request: pytest.FixtureRequest) -> None:
    assert request.config.pluginmanager.has_plugin("confirma_sandbox")


def test_sandbox_arguments_become_a_config() -> None:
    command = cli.commands["sandbox"]
    ctx = command.make_context(
        "sandbox",
        [
            "--port",
            "0",
            "--seed",
            "4",
            "--records",
            "1000",
            "--fault",
            "POST /invoice:503:0.1",
            "--fault",
            "tokens:expire=60s",
        ],
    )
    options = {k: v for k, v in ctx.params.items() if k not in ("host", "port")}
    config = sandbox_config(**options)
    assert config.seed == 4
    assert config.generated_records == 1000
    assert config.faults == (FaultRule(kind="error", method="POST", path="/invoice", rate=0.1),)
    assert config.expire_tokens_after == timedelta(seconds=60)


def test_a_bad_fault_spec_exits_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--fault", "*:teleport"]) == 2
    assert "teleport" in capsys.readouterr().err


def test_a_port_out_of_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--port", "99999"]) == 2
    err = capsys.readouterr().err
    assert "Invalid value for '--port': 99999 is not in the range 0<=x<=65535" in err
    assert "Traceback" not in err


def test_a_port_in_use_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sandbox", "--port", str(port)]) == 1
    captured = capsys.readouterr()
    reason = os.strerror(errno.EADDRINUSE)
    assert captured.err.splitlines() == [
        f"confirma sandbox: cannot listen on 127.0.0.1:{port}: {reason}"
    ]
    assert captured.out == ""


def test_a_sandbox_refuses_a_port_out_of_range_at_once() -> None:
    with pytest.raises(ValueError, match=r"port must be within 0\.\.65535, not 99999"):
        Sandbox(port=99999)


def test_help_documents_the_fault_syntax(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--help"]) == 0
    out = capsys.readouterr().out
    assert "commit-drop" in out
    assert "latency=DURATION" in out


async def test_confirma_sandbox_serves_until_interrupted() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "confirma_async.cli",
        "sandbox",
        "--port",
        "0",
        "--records",
        "100",
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        banner = [(await proc.stdout.readline()).decode() for _ in range(2)]
        base_url = banner[0].split()[-1]
        token = banner[1].split()[-1]
        async with aiohttp.ClientSession() as session:
            headers = {"X-Api-Key": token}
            async with session.get(base_url + "/validate", headers=headers) as resp:
                assert resp.status == 200
                assert (await resp.json())["isValid"] is True
        proc.send_signal(signal.SIGINT)
        assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
