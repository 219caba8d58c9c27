"""Structured logging for the library, with secrets redacted.

By default events go through the standard ``logging`` logger ``confirma_async`` (so an application
that never configured structlog sees nothing below WARNING, the usual manners of a library). Each
record's message is the event and its fields, ``confirma_request method=GET path=/payments
status=200 attempt=1 elapsed_ms=12.3 request_id=...``, readable under a plain
``logging.basicConfig``; the same fields ride on the record as attributes (``record.status``) for
structured handlers. An application that uses structlog may pass its own bound logger to
``ConfirmaClient(logger=...)`` and gets the fields as structured key-values.

``CONFIRMA_LOG=debug`` (or ``info``) switches the library's output on without touching the
application's logging: the ``confirma_async`` logger gets that level and, if it has no handler yet,
one writing to stderr (like ``OPENAI_LOG``).

The library never puts a token into an event; :func:`redact_processor` is a second line of defence
in the default pipeline and can be added to an application's own structlog processors.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from ..errors import ConfigurationError
from . import env as _env
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


def render_message(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> dict[str, Any]:
    """Structlog's last processor for stdlib: the fields in the message and on the record.

    ``event k=v k=v`` (a string value with a space or ``=`` is quoted) is the record's message,
    and the fields are passed as ``extra`` so a structured handler finds them as attributes.
    """
    event = str(event_dict.pop("event", ""))
    fields = " ".join(f"{key}={_show(value)}" for key, value in event_dict.items())
    return {"msg": f"{event} {fields}" if fields else event, "extra": event_dict}


def _show(value: Any) -> str:
    text = str(value)
    return repr(text) if (not text or " " in text or "=" in text) else text


_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_configured_from_env = False


def configure_from_env() -> None:
    """Apply ``CONFIRMA_LOG`` (``debug`` or ``info``) once per process; see the module doc."""
    global _configured_from_env
    if _configured_from_env:
        return
    value = _env.read(_env.LOG)
    if value is None:
        _configured_from_env = True
        return
    level = _LEVELS.get(value.lower())
    if level is None:
        raise ConfigurationError(_env.LOG, value, "must be debug or info")
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    _configured_from_env = True


def default_logger() -> Any:
    """A structlog logger that writes through stdlib ``logging`` (logger ``confirma_async``)."""
    configure_from_env()
    # .bind() resolves structlog's lazy proxy into a real BoundLogger, whose isEnabledFor lets
    # the transport skip building per-attempt debug events nobody will see.
    return structlog.wrap_logger(
        logging.getLogger(LOGGER_NAME),
        # filter_by_level first: an event the stdlib logger would drop is not rendered at all.
        processors=[structlog.stdlib.filter_by_level, redact_processor, render_message],
        wrapper_class=structlog.stdlib.BoundLogger,
    ).bind()
