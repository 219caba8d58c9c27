"""Where the client's HTTP session comes from: the caller's own, or one built from our options.

Like the SDKs users know (openai's ``http_client=``, httpx's ``trust_env``/``proxy``, aiobotocore's
connector arguments): a caller may hand over an ``aiohttp.ClientSession`` (used as it is, never
closed by the client), or have the client build one with ``ssl`` (an ``SSLContext`` or a CA bundle
path), ``proxy``, ``trust_env`` (on by default: ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` apply),
``trace_configs`` and ``connector_options`` (passed to ``aiohttp.TCPConnector``). TLS verification
stays on unless the caller passes a context of their own (assumption A40).

``trust_env`` is resolved once, when the session is built, for the client's one origin (redirects
are followed only within it): the proxy the environment names for the base URL (unless
``NO_PROXY`` covers its host), with credentials from the proxy URL or ``.netrc``. aiohttp's own
``trust_env`` would look the environment and ``.netrc`` up again on every request, in a thread,
which costs more CPU than the rest of a request (assumption A41).
"""

from __future__ import annotations

import os
import ssl as _ssl
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import attrs
from yarl import URL

from ..config import ClientConfig, is_loopback
from ..errors import ConfigurationError
from ._options import client_timeout

__all__ = ["Plumbing"]

SSLOption = _ssl.SSLContext | str | os.PathLike[str] | None

# Connector arguments the client sets itself (from ClientConfig or ``ssl=``): naming them in
# ``connector_options`` would silently fight the configuration, so it is refused.
_OWN_CONNECTOR_ARGS = {
    "limit": "ClientConfig.pool_limit",
    "keepalive_timeout": "ClientConfig.keepalive_timeout",
    "ssl": "ssl=",
    "ssl_context": "ssl=",
    "verify_ssl": "ssl= (verification stays on unless you pass your own SSLContext)",
    "fingerprint": "ssl=",
    "loop": "nothing (the running loop is used)",
}


@attrs.frozen(kw_only=True)
class Plumbing:
    """The HTTP options of one client, checked on construction (see the module doc)."""

    session: aiohttp.ClientSession | None = None
    ssl: _ssl.SSLContext | None = None
    proxy: str | None = None
    trust_env: bool = True
    trace_configs: tuple[aiohttp.TraceConfig, ...] = ()
    connector_options: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_arguments(
        cls,
        *,
        session: aiohttp.ClientSession | None,
        ssl: SSLOption,
        proxy: str | None,
        trust_env: bool | None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None,
        connector_options: Mapping[str, Any] | None,
    ) -> Plumbing:
        """Check the client's HTTP arguments; ``ConfigurationError`` names a bad or clashing one."""
        if session is not None:
            if not isinstance(session, aiohttp.ClientSession):
                raise ConfigurationError("session", session, "must be an aiohttp.ClientSession")
            given = {
                "ssl": ssl is not None,
                "proxy": proxy is not None,
                "trust_env": trust_env is not None,
                "trace_configs": trace_configs is not None,
                "connector_options": connector_options is not None,
            }
            for name, is_given in given.items():
                if is_given:
                    raise ConfigurationError(
                        name,
                        "<given>",
                        "cannot apply to a session you pass (session=): configure it on that "
                        "session (its connector, trust_env, trace_configs) instead",
                    )
            return cls(session=session)
        if trust_env is not None and not isinstance(trust_env, bool):
            raise ConfigurationError("trust_env", trust_env, "must be True or False")
        return cls(
            ssl=_ssl_context(ssl),
            proxy=_proxy(proxy),
            trust_env=True if trust_env is None else trust_env,
            trace_configs=_trace_configs(trace_configs),
            connector_options=_connector_options(connector_options),
        )

    def proxy_for(self, base_url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The proxy requests to ``base_url`` go through (``proxy=``, else the environment's)."""
        if self.proxy is not None:
            return URL(self.proxy), None
        if self.trust_env and self.session is None:
            try:
                return aiohttp.helpers.get_env_proxy_for_url(URL(base_url))
            except LookupError:
                pass
        return None, None

    def check_clear_text(self, base_url: str, config: ClientConfig) -> None:
        """Refuse to send the key in clear to a proxy off loopback (plain-http base URL)."""
        if URL(base_url).scheme != "http" or config.allow_insecure_http:
            return
        proxy, _ = self.proxy_for(base_url)
        if proxy is not None and not is_loopback(proxy.host or ""):
            raise ConfigurationError(
                "proxy",
                str(proxy.with_user(None).with_password(None)),
                "would receive the API key in clear (the base URL is plain http): use https, "
                "NO_PROXY for this host, or ClientConfig(allow_insecure_http=True)",
            )

    def build_session(self, config: ClientConfig, base_url: str) -> aiohttp.ClientSession:
        """A new session with these options and the configuration's pool and timeouts."""
        self.check_clear_text(base_url, config)  # the environment may have changed since
        proxy, proxy_auth = self.proxy_for(base_url)
        connector = aiohttp.TCPConnector(
            limit=config.pool_limit,
            keepalive_timeout=config.keepalive_timeout,
            ssl=self.ssl if self.ssl is not None else True,
            **self.connector_options,
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=client_timeout(config),
            proxy=proxy,
            proxy_auth=proxy_auth,
            trust_env=False,  # resolved above, once (see the module doc)
            trace_configs=list(self.trace_configs) or None,
            # The transport serialises JSON itself (exact Decimal amounts).
            json_serialize=_no_json_serialize,
        )

    def request_options(self, config: ClientConfig) -> dict[str, Any] | None:
        """Per-request arguments the session itself does not carry (``None``: nothing to add).

        A caller's session keeps its own pool and settings, but the client's timeouts still
        apply, request by request: the pool timeout is what tells a request that never left
        from one whose outcome is unknown.
        """
        return None if self.session is None else {"timeout": client_timeout(config)}


def _ssl_context(value: object) -> _ssl.SSLContext | None:
    if value is None or isinstance(value, _ssl.SSLContext):
        return value
    if isinstance(value, bool):
        raise ConfigurationError(
            "ssl",
            value,
            "TLS verification stays on: pass an ssl.SSLContext (your own, if you must turn "
            "verification off) or the path of a CA bundle",
        )
    if not isinstance(value, str | os.PathLike):
        raise ConfigurationError("ssl", value, "must be an ssl.SSLContext or a CA bundle path")
    try:
        return _ssl.create_default_context(cafile=os.fspath(value))
    except (OSError, _ssl.SSLError) as exc:
        raise ConfigurationError(
            "ssl", os.fspath(value), f"cannot load the CA bundle: {exc}"
        ) from exc


def _proxy(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | URL):
        raise ConfigurationError("proxy", value, "must be a URL string")
    url = URL(str(value))
    if url.scheme not in ("http", "https") or not url.host:
        shown = str(url.with_user(None).with_password(None)) if url.host else str(value)
        raise ConfigurationError("proxy", shown, "must be an absolute http(s) URL")
    return str(url)


def _trace_configs(value: object) -> tuple[aiohttp.TraceConfig, ...]:
    if value is None:
        return ()
    if isinstance(value, aiohttp.TraceConfig) or not isinstance(value, Sequence):
        raise ConfigurationError("trace_configs", value, "must be a list of aiohttp.TraceConfig")
    for item in value:
        if not isinstance(item, aiohttp.TraceConfig):
            raise ConfigurationError("trace_configs", item, "is not an aiohttp.TraceConfig")
    return tuple(value)


def _connector_options(value: object) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError("connector_options", value, "must be a mapping of arguments")
    for name in value:
        if name in _OWN_CONNECTOR_ARGS:
            raise ConfigurationError(
                f"connector_options.{name}", value[name], f"set it with {_OWN_CONNECTOR_ARGS[name]}"
            )
    return dict(value)


def _no_json_serialize(obj: Any) -> str:
    raise TypeError("confirma_async serialises request bodies itself")
