"""Structured logging for the library, with secrets redacted.

By default events go through the standard ``logging`` logger ``confirma_async`` (so an application
that never configured structlog sees nothing below WARNING, the usual manners of a library). An
application that uses structlog may pass its own bound logger to ``ConfirmaClient(logger=...)``.
The library
never puts a token into an event; :func:`redact_processor` is a second line of defence in the
default pipeline and can be added to an application's own structlog processors.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from . import wire as _wire

REDACTED = "***"
_SECRET_KEYS = frozenset(
    {_wire.API_KEY_HEADER.lower(), "api_key", "token", "access_token", "partner_token"}
)

LOGGER_NAME = "confirma_async"


def redact(value: Any) -> Any:
    """Return ``value`` with every secret-named key of any nested mapping replaced by ``***``."""
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if str(k).lower() in _SECRET_KEYS else redact(v)) for k, v in value.items()
        }
    return value


def redact_processor(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Structlog processor that applies :func:`redact` to every field of an event."""
    for key in list(event_dict):
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = redact(event_dict[key])
    return event_dict


def default_logger() -> Any:
    """A structlog logger that writes through stdlib ``logging`` (logger ``confirma_async``)."""
    # .bind() resolves structlog's lazy proxy into a real BoundLogger, whose isEnabledFor lets
    # the transport skip building per-attempt debug events nobody will see.
    return structlog.wrap_logger(
        logging.getLogger(LOGGER_NAME),
        processors=[redact_processor, structlog.stdlib.render_to_log_kwargs],
        wrapper_class=structlog.stdlib.BoundLogger,
    ).bind()
