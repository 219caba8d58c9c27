"""The environment variables the library and the ``confirma`` command read: one definition each.

``ConfirmaClient()`` reads :data:`API_KEY`, :data:`ENVIRONMENT` and :data:`BASE_URL` when the
matching argument is not given; :data:`LOG` switches the library's own log output on (like
``OPENAI_LOG``). The command line reads these and :data:`TOKEN_FILE`, :data:`WIRE_ALIASES`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

API_KEY: Final = "CONFIRMA_API_KEY"
"""The API key (the access token)."""
ENVIRONMENT: Final = "CONFIRMA_ENVIRONMENT"
"""``staging`` or ``production``."""
BASE_URL: Final = "CONFIRMA_BASE_URL"
"""Any base URL instead of an environment (a local sandbox's ``.../api/v1/partner``)."""
TOKEN_FILE: Final = "CONFIRMA_TOKEN_FILE"
"""The command line's key file (renewed keys are saved to it)."""
WIRE_ALIASES: Final = "CONFIRMA_WIRE_ALIASES"
"""The command line's response field aliases, space-separated ``Model.field=name`` specs."""
LOG: Final = "CONFIRMA_LOG"
"""``debug`` or ``info``: the library logs to stderr at that level."""


def read(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's value stripped, or ``None`` when it is unset or blank."""
    value = (os.environ if environ is None else environ).get(name)
    if value is None or not value.strip():
        return None
    return value.strip()
