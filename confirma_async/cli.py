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

The commands live in the private package ``confirma_async._cli``; click is imported here, rich and
the sandbox only by the commands that use them. The library itself never imports either.
"""

from __future__ import annotations

import sys

from ._cli.app import cli, main
from ._cli.sandbox_cmd import sandbox_config, serve

__all__ = ["cli", "main", "sandbox_config", "serve"]

if __name__ == "__main__":
    sys.exit(main())
