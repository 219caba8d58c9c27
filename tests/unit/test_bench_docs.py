"""``nox -s bench`` writes its figures into the docs between markers: nothing there by hand."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


docs = load("_docs")

PAGE = """# Figures

<!-- bench:summary:bulk -->
old bulk figures
<!-- /bench -->

text between

<!-- bench:report:stream -->
old stream report
<!-- /bench -->
"""


def run(name: str, value: float) -> dict[str, Any]:
    figure = {"name": "ratio", "value": value, "unit": "x", "goal": ">= 1.0x", "ok": value >= 1}
    return {"benchmark": f"bench_{name}", "mode": "full", "figures": [figure],
            "report": [f"{name} report line"]}  # fmt: skip


def rows(doc: dict[str, Any]) -> list[str]:
    return [f"{f['name']} {f['value']:.2f}{f['unit']}" for f in doc["figures"]]


def test_a_run_rewrites_the_blocks_of_its_scripts_and_only_those(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    changed = docs.update({"bulk": run("bulk", 1.25)}, rows, (page,))
    text = page.read_text()
    assert changed == [page]
    assert "old bulk figures" not in text
    assert "ratio 1.25x" in text
    assert "old stream report" in text  # stream did not run: its block is left as it was
    assert "text between" in text
    assert re.search(r"Measured by `nox -s bench` on \d{4}-\d\d-\d\d \d\d:\d\d UTC", text)


def test_a_report_block_gets_the_scripts_own_report(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    docs.update({"stream": run("stream", 0.5)}, rows, (page,))
    text = page.read_text()
    assert "stream report line" in text
    assert "old stream report" not in text
    assert text.count("<!-- /bench -->") == 2  # the markers stay: the next run finds them


def test_every_generated_block_of_the_docs_names_a_benchmark_script() -> None:
    names = {p.stem.removeprefix("bench_") for p in (ROOT / "benchmarks").glob("bench_*.py")}
    found = []
    for path in docs.FILES:
        text = path.read_text()
        for kind, name in re.findall(r"^<!-- bench:(summary|report):(\w+) -->$", text, re.M):
            found.append(name)
            assert name in names, (path, kind, name)
    assert {"bulk", "stream", "sandbox"} <= set(found)
