"""``confirma demo`` end to end (smaller than the default run, same code path)."""

from __future__ import annotations

import io

import pytest

from confirma_async._cli.demo import run_demo
from confirma_async.cli import main


async def test_demo_runs_and_reports_consistent_figures() -> None:
    out = io.StringIO()
    assert await run_demo(invoices=200, concurrency=16, out=out) == 0
    text = out.getvalue()
    assert "200 invoices" in text
    assert "200 created, 0 failed" in text
    assert "200 records streamed" in text
    assert "matches the payments" in text
    assert "every invoice stored exactly once: yes" in text


def test_confirma_demo_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--invoices", "50", "--concurrency", "8"]) == 0
    assert "every invoice stored exactly once: yes" in capsys.readouterr().out
