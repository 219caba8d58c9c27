"""The ``confirma`` command line (console script ``confirma = confirma_async.cli:main``).

``confirma submit FILE``            bulk-submit invoices from JSONL, live progress, summary table
``confirma actions submit FILE``    the same for invoice actions
``confirma distributions``          stream distribution records (``--watch`` to follow changes)
``confirma payments``               stream payments
``confirma settlements``            stream settlements (``--unfetched-only``)
``confirma case CASE_ID``           an agency case (or ``--invoice-number N``)
``confirma token validate|renew``   check or renew the API key (never printed)
``confirma sandbox``                serve a local CFIS sandbox (``--port``, ``--seed``, ``--fault``)
``confirma demo``                   run the client end to end against an in-process sandbox

Configuration: ``CONFIRMA_API_KEY`` (or ``--api-key``, or ``--token-file``),
``CONFIRMA_ENVIRONMENT`` (staging|production) or ``CONFIRMA_BASE_URL``. Exit codes: 0 ok,
1 something failed, 2 usage or configuration error, 130 Ctrl-C.

Fault specs for ``confirma sandbox --fault`` (repeatable)::

    TARGET:ACTION[:RATE][:xN]
    TARGET  *  |  METHOD  |  PATH  |  'METHOD PATH'      (PATH after /api/v1/partner, fnmatch)
    ACTION  500 | 502 | 503 | 504 | 429[=SECONDS] | drop | commit-drop | slow[=DURATION]
            | latency=DURATION[+JITTER]
    RATE    0.1 or 10%  (default: every matching request);  xN = only the next N matching requests
    tokens:expire=DURATION   every token issued before now+DURATION expires then

    e.g. --fault 'POST /invoice:503:0.1' --fault '*:latency=20ms+10ms' --fault 'tokens:expire=60s'

The commands live in the private package ``confirma_async._cli``; click is imported there, rich and
the sandbox only by the commands that use them. The library itself never imports either. Without
the ``cli`` extra, :func:`main` says how to install it and returns 2 (no traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cli.app import cli
    from ._cli.sandbox_cmd import sandbox_config, serve

__all__ = ["cli", "main", "sandbox_config", "serve"]

INSTALL_HINT = (
    "confirma: the command line needs the 'cli' extra (click, rich): "
    "pip install 'confirma-async[cli]'"
)
"""What :func:`main` prints when click or rich is missing."""

_EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``confirma`` console script and ``python -m confirma_async``."""
    try:
        from ._cli.app import main as run
    except ImportError as exc:
        if exc.name not in ("click", "rich") and not str(exc.name).startswith(("click.", "rich.")):
            raise
        print(f"{INSTALL_HINT} ({exc.name} is not installed)", file=sys.stderr)
        return _EXIT_USAGE
    return run(argv)


def __getattr__(name: str) -> Any:
    """``cli``, ``sandbox_config`` and ``serve``, imported on first use (they need click)."""
    if name == "cli":
        from ._cli.app import cli

        return cli
    if name in ("sandbox_config", "serve"):
        from ._cli import sandbox_cmd

        return getattr(sandbox_cmd, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    sys.exit(main())
