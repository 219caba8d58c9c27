"""Shared test configuration."""

from __future__ import annotations

import inspect
from typing import Any
from unittest.mock import Mock

import aiohttp
import aioresponses.core

# --- SHIM: aioresponses 0.7.9 vs aiohttp >= 3.14 -------------------------------------------------
# aiohttp 3.14 added a required ``stream_writer`` argument to ClientResponse.__init__, which
# aioresponses 0.7.9 does not pass (pnuckowski/aioresponses#289, fix in PR #288, unreleased).
# Give aioresponses a ClientResponse subclass that defaults it -- only when aiohttp's signature
# asks for it, so this shim does nothing once aioresponses is fixed or aiohttp changes again.
# Remove it when an aioresponses release includes the fix.
if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:

    class _ShimClientResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", Mock(output_size=0))
            super().__init__(*args, **kwargs)

    aioresponses.core.ClientResponse = _ShimClientResponse  # type: ignore[misc]
# --- END SHIM -------------------------------------------------------------------------------------
