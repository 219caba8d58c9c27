"""Where the client connects and how it behaves: :class:`Environment` and :class:`ClientConfig`."""

from __future__ import annotations

import enum
import ipaddress
import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import attrs

from ._core import env as _env
from ._core import wire as _wire
from .errors import ConfigurationError

__version__ = "0.1.0"


class Environment(enum.Enum):
    """The two documented CFIS environments (tokens are issued per environment)."""

    STAGING = _wire.STAGING_HOST
    PRODUCTION = _wire.PRODUCTION_HOST

    @property
    def base_url(self) -> str:
        """The environment's base URL including the ``/api/v1/partner`` prefix."""
        return f"{self.value}{_wire.API_PREFIX}"

    @classmethod
    def from_name(cls, name: str, *, field: str = "environment") -> Environment:
        """The environment called ``name`` (``staging`` or ``production``, any case)."""
        try:
            return cls[name.strip().upper()]
        except (KeyError, AttributeError):
            raise ConfigurationError(field, name, "use staging or production") from None


def endpoint_from_env(
    environ: Mapping[str, str] | None = None,
) -> tuple[Environment | None, str | None]:
    """``CONFIRMA_ENVIRONMENT`` or ``CONFIRMA_BASE_URL`` from the environment (one, or neither)."""
    name = _env.read(_env.ENVIRONMENT, environ)
    base_url = _env.read(_env.BASE_URL, environ)
    if name is not None and base_url is not None:
        raise ConfigurationError(
            _env.BASE_URL, base_url, f"give either {_env.ENVIRONMENT} or {_env.BASE_URL}, not both"
        )
    if name is None:
        return None, base_url
    return Environment.from_name(name, field=_env.ENVIRONMENT), None


def api_key_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``CONFIRMA_API_KEY`` from the environment; ``ConfigurationError`` when it is unset."""
    key = _env.read(_env.API_KEY, environ)
    if key is None:
        raise ConfigurationError(
            "api_key", None, f"no API key: pass api_key= or set {_env.API_KEY}"
        )
    return key


def resolve_base_url(
    environment: Environment | None, base_url: str | None, *, allow_http: bool = False
) -> str:
    """Return the base URL for exactly one of ``environment`` or ``base_url``.

    ``base_url`` is any HTTP(S) URL (the local sandbox, a proxy) and must already include the
    ``/api/v1/partner`` prefix if the server needs it. A trailing slash is removed. Plain ``http``
    sends the API key in clear, so it is accepted only to a loopback host (the sandbox) unless
    ``allow_http``. The port must be in range.
    """
    if environment is not None and base_url is not None:
        raise ConfigurationError("base_url", base_url, "give either environment or base_url")
    if base_url is None:
        return (environment or Environment.STAGING).base_url
    if not isinstance(base_url, str):
        raise ConfigurationError("base_url", base_url, "must be a string")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("base_url", base_url, "must be an absolute http(s) URL")
    try:
        parts.port  # noqa: B018 - urlsplit checks the range when the port is read
    except ValueError:
        raise ConfigurationError("base_url", base_url, "the port must be 0-65535") from None
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        raise ConfigurationError(
            "base_url",
            base_url,
            "plain http would send the API key in clear: use https, or set "
            "ClientConfig(allow_insecure_http=True) for a network you trust",
        )
    return base_url.rstrip("/")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` (and ``*.localhost``) and loopback IP addresses."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(attribute.name, value, "must be a finite number")
    if value <= 0:
        raise ConfigurationError(attribute.name, value, "must be greater than 0")


def _positive_or_none(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _positive(instance, attribute, value)


def _non_negative_int(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(attribute.name, value, "must be an integer >= 0")


def _positive_int(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(attribute.name, value, "must be an integer >= 1")


def _window(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ConfigurationError(attribute.name, value, "must be a timedelta >= 0")


def _bool(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(attribute.name, value, "must be True or False")


def _non_empty_str(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(attribute.name, value, "must be a non-empty string")


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Timeouts, retries and connection pool settings. Invalid values raise ConfigurationError.

    Timeouts are in seconds. ``read_timeout`` bounds each wait for the next chunk of an answer;
    ``None`` drops that per-read timer (answers are then bounded by ``total_timeout`` alone), which
    saves a few µs of CPU a request. ``POST /invoice``, whose answer is a short acknowledgement,
    never runs under it (the bulk upload's hot path): ``total_timeout`` bounds it. ``max_retries``
    counts re-sends after the first attempt. Backoff is
    exponential with full jitter: the n-th wait is uniform in ``[0, min(cap, base * 2**n)]``; a
    ``Retry-After`` from the server is used instead, capped at ``retry_after_cap`` and never below
    ``backoff_base`` (a ``Retry-After`` of 0 or in the past still waits that long).
    ``pool_timeout``: how long a request may wait for a pooled connection (and connect); a request
    that never got one fails as *not sent* (never outcome-unknown). It must be below
    ``total_timeout``. ``max_response_bytes`` caps a response body while it is read (larger answers
    raise ``ResponseTooLargeError``; a pager splits such a window); error bodies are truncated at
    ``max_error_body_bytes``. ``follow_redirects``: redirects are not followed by default (a 3xx
    raises ``RedirectError`` naming where it pointed); if enabled, only to the same origin, so the
    API key never leaves for another host. ``allow_insecure_http``: plain ``http`` is refused
    except to a loopback host, because it sends the key in clear.
    ``token_advisory_window``: renew this long before a known expiry, keeping the old token if that
    renewal fails; ``token_mandatory_window``: inside it, a request waits for a successful renewal.
    """

    connect_timeout: float = attrs.field(default=10.0, validator=_positive)
    read_timeout: float | None = attrs.field(default=30.0, validator=_positive_or_none)
    total_timeout: float = attrs.field(default=60.0, validator=_positive)
    max_retries: int = attrs.field(default=3, validator=_non_negative_int)
    backoff_base: float = attrs.field(default=0.5, validator=_positive)
    backoff_cap: float = attrs.field(default=30.0, validator=_positive)
    retry_after_cap: float = attrs.field(default=60.0, validator=_positive)
    pool_limit: int = attrs.field(default=100, validator=_positive_int)
    keepalive_timeout: float = attrs.field(default=30.0, validator=_positive)
    user_agent: str = attrs.field(default=f"confirma-async/{__version__}", validator=_non_empty_str)
    token_advisory_window: timedelta = attrs.field(default=timedelta(minutes=10), validator=_window)
    token_mandatory_window: timedelta = attrs.field(default=timedelta(minutes=1), validator=_window)
    pool_timeout: float = attrs.field(default=30.0, validator=_positive)
    max_response_bytes: int = attrs.field(default=256 * 2**20, validator=_positive_int)
    max_error_body_bytes: int = attrs.field(default=64 * 2**10, validator=_positive_int)
    follow_redirects: bool = attrs.field(default=False, validator=_bool)
    allow_insecure_http: bool = attrs.field(default=False, validator=_bool)

    def __attrs_post_init__(self) -> None:
        if self.pool_timeout >= self.total_timeout:
            raise ConfigurationError(
                "pool_timeout", self.pool_timeout, "must be below total_timeout"
            )
        if self.backoff_cap < self.backoff_base:
            raise ConfigurationError("backoff_cap", self.backoff_cap, "must be >= backoff_base")
        if self.token_mandatory_window > self.token_advisory_window:
            raise ConfigurationError(
                "token_mandatory_window",
                self.token_mandatory_window,
                "must not exceed token_advisory_window",
            )
