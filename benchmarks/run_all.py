"""Run every ``benchmarks/bench_*.py`` one after another and print one table of their figures.

Each script runs in its own process (they pin CPUs and start their own sandboxes), with its report
streamed through as it goes, and writes its figures with ``--json`` for the table at the end.
``nox -s bench`` runs this file; ``nox -s bench -- --quick`` passes ``--quick`` to every script.

A full run (not ``--quick``, not ``--no-docs``) then writes each finished script's figures into
the generated blocks of ``benchmarks/README.md`` and the guides (see ``_docs.py``).

Usage: ``python benchmarks/run_all.py [--quick] [--only NAME ...] [--strict] [--json PATH]
[--no-docs]``.
Exit status: 1 if a script failed (or, with ``--strict``, if a goal was missed), else 0.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _docs

HERE = Path(__file__).resolve().parent


def scripts(only: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        wanted = {name.removesuffix(".py").removeprefix("bench_") for name in only}
        found = [p for p in found if p.stem.removeprefix("bench_") in wanted]
    return found


def run_one(script: Path, quick: bool, out_dir: Path) -> tuple[int, float, dict[str, Any] | None]:
    """Run one script, streaming its output; return (exit code, seconds, its JSON or None)."""
    result = out_dir / f"{script.stem}.json"
    command = [sys.executable, str(script), "--json", str(result)]
    if quick:
        command.append("--quick")
    print(f"\n{'=' * 100}\n$ {' '.join(command[1:])}\n{'=' * 100}", flush=True)
    started = time.perf_counter()
    code = subprocess.call(command, cwd=HERE.parent)
    seconds = time.perf_counter() - started
    doc = json.loads(result.read_text()) if result.exists() else None
    return code, seconds, doc


def fmt_value(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.2f} {unit}" if abs(value) < 10 else f"{value:.1f} {unit}"


def status(ok: bool | None) -> str:
    return "" if ok is None else ("OK" if ok else "MISSED")


def table(
    runs: list[tuple[Path, int, float, dict[str, Any] | None]], *, with_name: bool = True
) -> list[str]:
    rows = [("benchmark", "figure", "value", "goal", "")]
    for script, code, seconds, doc in runs:
        name = script.stem.removeprefix("bench_")
        if doc is None:
            rows.append((name, f"FAILED (exit {code}) after {seconds:.0f} s", "", "", "FAILED"))
            continue
        if doc.get("mode") == "quick":
            name += " (quick)"
        for fig in doc["figures"]:
            value = fmt_value(fig["value"], fig["unit"])
            rows.append((name, fig["name"], value, fig["goal"] or "", status(fig["ok"])))
            name = ""
        if code:
            rows.append(("", f"exit status {code}", "", "", "FAILED"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for i, row in enumerate(rows):
        cells = [
            row[0].ljust(widths[0]),
            row[1].ljust(widths[1]),
            row[2].rjust(widths[2]),
            row[3].ljust(widths[3]),
            row[4],
        ][0 if with_name else 1 :]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths[0 if with_name else 1 :]).rstrip())
    return lines


def write_docs(runs: list[tuple[Path, int, float, dict[str, Any] | None]]) -> None:
    """Put the figures of every script that finished into the docs' generated blocks."""
    done = {
        script.stem.removeprefix("bench_"): (script, code, seconds, doc)
        for script, code, seconds, doc in runs
        if doc is not None and not code and doc.get("mode") == "full"
    }
    docs = {name: run[3] for name, run in done.items() if run[3] is not None}

    def rows(doc: dict[str, Any]) -> list[str]:
        name = doc["benchmark"].removeprefix("bench_")
        return table([done[name]], with_name=False)

    for path in _docs.update(docs, rows):
        print(f"updated {path.relative_to(HERE.parent)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="e.g. bulk stream")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--json", metavar="PATH", help="also write every script's figures here")
    parser.add_argument(
        "--no-docs",
        action="store_true",
        help="do not write the figures into benchmarks/README.md and the docs (a full run does)",
    )
    args = parser.parse_args()

    selected = scripts(args.only)
    if not selected:
        print(f"no benchmark matches {args.only}", file=sys.stderr)
        return 2
    runs = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="confirma-bench-") as tmp:
        for script in selected:
            code, seconds, doc = run_one(script, args.quick, Path(tmp))
            runs.append((script, code, seconds, doc))
    total = time.perf_counter() - started

    print(f"\n{'=' * 100}")
    print(f"benchmarks: {len(runs)} scripts in {total:.0f} s ({'quick' if args.quick else 'full'})")
    print("\n".join(table(runs)))
    if args.json:
        Path(args.json).write_text(json.dumps([doc for *_, doc in runs], indent=1))
    if not args.quick and not args.no_docs:
        write_docs(runs)

    failed = [s.stem for s, code, _, doc in runs if code or doc is None]
    missed = [
        f"{s.stem}: {fig['name']}"
        for s, _, _, doc in runs
        if doc is not None
        for fig in doc["figures"]
        if fig["ok"] is False
    ]
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    if missed:
        print("\ngoals missed:\n  " + "\n  ".join(missed))
    return 1 if failed or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
