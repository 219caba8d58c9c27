"""The one place that sends requests: retries, Retry-After, error mapping, logging."""

from __future__ import annotations

from .._core.responses import RawAnswer
from ._transport import Transport

__all__ = ["RawAnswer", "Transport"]
