"""The one place that sends requests: retries, Retry-After, error mapping, logging.

Retry policy (assumption A6b): connection errors, timeouts, 429 and 5xx are retried with
exponential backoff and full jitter (via ``backoff``), or after ``Retry-After`` when the server
sends one. A non-idempotent request (POST) is re-sent automatically only when the failure proves
the server did not act on it: the connection was never made (refused, DNS, connect timeout) or the
server answered 429. Any other POST failure raises with ``outcome_unknown=True``, because CFIS has
no idempotency key and a blind re-send could create a duplicate.

Outcome of a POST, or a GET that changes state (A37, A13): only a 4xx answer proves it was not
applied (``outcome_unknown`` false); a 1xx/3xx/5xx answer, a timeout or a broken connection after
sending leave it unknown; a 2xx answer is a success whatever its body (``raw=True`` hands the raw
answer to the caller instead of decoding it).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Self

import aiohttp
from yarl import URL

from .._core import json as _json
from .._core.headers import RequestHeaders
from .._core.redirects import MAX_HOPS, redirect_target
from .._core.responses import (
    RawAnswer,
    decode_body,
    read_capped,
)
from .._core.retrying import Retryable, RetryLoop
from .._core.sends import WATCH
from ..auth import TokenManager
from ..config import ClientConfig
from ..errors import (
    AuthenticationError,
    ConfirmaError,
    RequestValidationError,
    ResponseDecodeError,
    ResponseTooLargeError,
)
from . import _call
from ._call import Call, Params, log_attempt, log_giveup, log_retry, raise_status, renew_first
from ._options import answer_options, call_timeout, once_options, view_headers, view_retries

__all__ = ["RawAnswer", "Transport"]

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_NO_OPTIONS: Mapping[str, Any] = {}


class Transport:
    """Sends requests for the resources; owns no session (the client does)."""

    def __init__(
        self,
        *,
        session: Callable[[], aiohttp.ClientSession],
        base_url: str,
        config: ClientConfig,
        tokens: TokenManager,
        logger: Any,
        request_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._session = session
        self._base_url = base_url
        self._config = config
        self._tokens = tokens
        self._log = logger
        # Perf: skip building the per-attempt debug event when the logger would drop it. Only
        # loggers whose class has ``isEnabledFor`` (stdlib, structlog.stdlib.BoundLogger) are
        # asked, per attempt, so a level changed at run time is honoured; others always log.
        self._debug_gate = logger if hasattr(type(logger), "isEnabledFor") else None
        if isinstance(getattr(logger, "_logger", None), logging.Logger):  # structlog's stdlib
            self._debug_gate = logger._logger  # asked directly: one call less per attempt
        self._urls: dict[str, URL] = {}
        self._headers = RequestHeaders(config.user_agent)
        # Per-request aiohttp arguments (a caller's session, a with_options view): None, usually.
        self._send_options = request_options
        self._answer_options = answer_options(config, request_options)  # see _options
        self._view_headers: Mapping[str, str] = {}
        self._retries = self._retry_loop(config.max_retries)

    def _retry_loop(self, max_retries: int) -> RetryLoop[Call]:
        config = self._config
        return RetryLoop(
            self._attempt,
            max_retries=max_retries,
            base=config.backoff_base,
            cap=config.backoff_cap,
            floor=min(config.backoff_base, config.retry_after_cap),
            on_retry=functools.partial(log_retry, self._log),
            on_giveup=functools.partial(log_giveup, self._log),
        )

    def with_options(
        self,
        *,
        timeout: object = None,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A view sending with other per-call options; shares the session, token and caches.

        ``timeout`` (seconds or an ``aiohttp.ClientTimeout``) replaces the client's timeouts,
        ``max_retries`` its retries, ``headers`` are sent with every request (a call's own
        ``extra_headers`` win). Views of a view add up.
        """
        view = copy.copy(self)
        if timeout is not None:
            options = {**(self._send_options or {}), "timeout": call_timeout(self._config, timeout)}
            view._send_options = view._answer_options = options  # the caller's timeout, as is
        view._retries = view._retry_loop(view_retries(max_retries, self._retries.max_retries))
        if headers is not None:  # sent like the client's own headers (a call's extra_headers win)
            view._view_headers = {**self._view_headers, **view_headers(headers)}
            view._headers = RequestHeaders(self._config.user_agent, view._view_headers)
        return view

    def span(self, name: str, attributes: Mapping[str, Any]) -> AbstractContextManager[Any]:
        """A tracing span of the client's own (a batch lookup); nothing unless tracing is on."""
        return contextlib.nullcontext()

    @property
    def base_url(self) -> str:
        """The base URL requests go to (keys shared state such as watcher leases)."""
        return self._base_url

    @property
    def logger(self) -> Any:
        """The client's logger (resources log through it)."""
        return self._log

    def _url(self, path: str) -> URL:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = URL(self._base_url + path)
        return url

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        raw: bool = False,
        encoded: bytes | None = None,
        decode: Callable[[Any], Any] | None = None,
        small_answer: bool = False,
    ) -> Any:
        """Send a request and return its decoded JSON body (``None`` for 204/empty).

        ``json`` is wire data (already unstructured), or ``encoded`` the JSON body already
        written; ``idempotent`` defaults from the method (``False`` for a GET: sent as a POST is).
        A 401 renews the token once (shared with concurrent requests) and replays the request;
        if that renewal fails, the 401 is raised (the request was not applied), caused by the
        renewal's error. ``api_key`` sends another key instead of the managed token (the partner
        provisioning token of *create client*); such a request is retried but never triggers a
        renewal. ``headers`` are sent in addition (checked by the caller). ``raw`` returns a
        2xx answer as a :class:`RawAnswer` instead of decoding it; ``decode`` decodes a 2xx
        answer itself (its body's bytes, or the ``RawAnswer`` with ``raw``; it returns the
        result or raises ``ResponseDecodeError``). ``small_answer``: the answer is a short
        acknowledgement, bounded by the total timeout alone (no per-read timer, see _options).
        """
        try:
            body = encoded if json is None else _json.dumps(json)
        except (ValueError, TypeError) as exc:  # nothing was sent: a known failure
            raise RequestValidationError("body", None, f"cannot be written as JSON: {exc}") from exc
        idem = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        options = self._answer_options if small_answer else self._send_options
        if idempotent is False and method == "GET":  # it changes state: aiohttp must not re-send
            options = once_options(options, self._session())
        url = self._urls.get(path) or self._url(path)  # a cached URL is never empty (falsy)
        call = Call(method, path, url, params, body, idem, headers, raw, options, api_key, decode)
        call.watch = None if idem else WATCH.get()  # see _core.sends
        if api_key is None and self._tokens.renewal_due():
            await renew_first(self._tokens, method, path)
        # Perf: the first attempt is awaited right here, not through ``_send``: every await layer
        # is re-entered at each suspension of the request, and this is the hot path.
        try:
            try:
                return await self._attempt(call)
            except Retryable as failure:
                return await self._retries.after(call, failure)
        except AuthenticationError as unauthorized:
            if api_key is not None:
                raise
            try:
                await self._tokens.after_unauthorized(call.generation)
            except ConfirmaError as renewal:
                unauthorized.add_note(f"renewing the token failed: {renewal}")
                raise unauthorized from renewal
            try:  # inlined again: the replay with the new token
                return await self._attempt(call)
            except Retryable as failure:
                return await self._retries.after(call, failure)
            except AuthenticationError as stale:  # refused again: no loop, unless (A102)...
                if call.generation != self._tokens.adopted_generation:
                    raise
                return await _call.replay_stale(self, call, stale)

    async def send_once(
        self,
        method: str,
        path: str,
        token: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """One attempt with an explicit token: no retries, no renewal (for validate/renew)."""
        once = once_options(self._send_options, self._session())  # no re-send by aiohttp either
        call = Call(method, path, self._url(path), params, None, False, headers, raw, once, token)
        try:
            return await self._attempt(call)
        except Retryable as failure:
            raise failure.error from failure.error.__cause__

    async def _attempt(self, call: Call) -> Any:
        call.attempts += 1
        header, current, call.generation = self._tokens.credentials()
        headers = self._headers.get(
            header, current if call.token is None else call.token, call.body, call.extra_headers
        )
        gate = self._debug_gate
        log = gate is None or gate.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if log else 0.0
        status: int | None = None
        redirect: URL | None = None
        session = self._session()
        options = call.options
        if call.watch is not None:
            call.watch.possibly_applied = True
        try:
            async with session.request(
                call.method,
                call.url,
                params=call.params,
                data=call.body,
                headers=headers,
                allow_redirects=False,  # see _core.redirects: the key must not follow
                **(options or _NO_OPTIONS),
            ) as resp:
                status = resp.status
                call.response = resp
                length = resp.content_length
                if call.raw and status < 300:
                    cap = self._config.max_response_bytes
                    try:  # inlined: this is the bulk upload's hot path
                        if length is not None and length <= cap:
                            answer = RawAnswer(status, await resp.read(), headers=resp.headers)
                        elif length is None and (body := await read_capped(resp, cap)) is not None:
                            answer = RawAnswer(status, body, headers=resp.headers)
                        else:  # declared too large (not read at all), or read past the cap
                            problem = f"the body exceeded max_response_bytes ({cap})"
                            answer = RawAnswer(status, b"", problem, resp.headers)
                    except (aiohttp.ClientError, TimeoutError) as exc:
                        # A 2xx arrived: the request was applied, however its body ends.
                        problem = f"the body could not be read ({type(exc).__name__})"
                        answer = RawAnswer(status, b"", problem, resp.headers)
                    # A decoder raises nothing but ConfirmaError (it is re-raised as is, below).
                    return answer if call.decode is None else call.decode(answer)
                cap = (
                    self._config.max_response_bytes
                    if status < 300
                    else self._config.max_error_body_bytes
                )
                if length is not None and length <= cap:
                    raw: bytes | None = await resp.read()
                elif length is not None and status < 300:
                    raw = None  # declared too large: not read at all
                else:
                    raw = await read_capped(resp, cap, truncate=status >= 300)
                if raw is None:
                    resp.close()
                    raise ResponseTooLargeError(
                        f"{call.method} {call.path}: the answer exceeded {cap} bytes "
                        "(ClientConfig.max_response_bytes); reading stopped there",
                        limit=cap,
                        method=call.method,
                        path=call.path,
                    )
                if 300 <= status < 400 and self._config.follow_redirects:
                    location = resp.headers.get("Location")
                    redirect = redirect_target(call.url, call.method, status, location)
                resp_headers = resp.headers
                reason = resp.reason
        except ConfirmaError:
            raise
        except (aiohttp.ClientError, TimeoutError, ValueError, TypeError) as exc:
            raise _call.connection_failure(call, exc) from exc
        finally:
            if log:
                log_attempt(self._log, call, status, started)
        if redirect is not None and call.hops < MAX_HOPS:
            call.url = redirect
            call.hops += 1
            return await self._attempt(call)
        if resp.status < 300:
            if call.decode is not None:
                return call.decode(raw)
            if resp.status == 204:
                return None
            body = decode_body(raw)
            if isinstance(body, str):
                raise ResponseDecodeError("response is not JSON", path="$", body=body)
            return body
        return raise_status(self._config, call, resp.status, reason, raw, resp_headers)
