"""Machine-readable results of a benchmark script (``--json PATH``), collected by ``run_all.py``.

Each script keeps printing its own human-readable report; with ``--json PATH`` it also writes::

    {"benchmark": "bench_stream", "mode": "full",
     "figures": [{"name": "...", "value": 2.1, "unit": "MB", "goal": "< 30 MB", "ok": true}, ...],
     "report": ["lines of the script's own detailed table", ...]}

``goal`` is ``null`` for figures given for context (no goal); ``ok`` is ``null`` then too.
"""

from __future__ import annotations

import json
import os
from typing import Any


def figure(
    name: str, value: float, unit: str, goal: str | None = None, ok: bool | None = None
) -> dict[str, Any]:
    """One measured figure, optionally held to a goal (``ok`` says whether it was met)."""
    return {"name": name, "value": value, "unit": unit, "goal": goal, "ok": ok}


def write(
    path: str | None,
    benchmark: str,
    quick: bool,
    figures: list[dict[str, Any]],
    *,
    report: list[str] | None = None,
) -> None:
    """Write the figures to ``path`` (nothing when ``path`` is ``None``).

    ``report`` is the script's detailed table (lines of text), shown in the docs
    (``run_all.py`` writes it between markers, see ``_docs.py``).
    """
    if path is None:
        return
    doc = {
        "benchmark": benchmark,
        "mode": "quick" if quick else "full",
        "figures": figures,
        "report": report or [],
    }
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(doc, out, indent=1)
    os.replace(tmp, path)
