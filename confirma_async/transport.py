"""The one place that sends requests: retries, Retry-After, error mapping, logging.

Retry policy (assumption A6b): connection errors, timeouts, 429 and 5xx are retried with
exponential backoff and full jitter (via ``backoff``), or after ``Retry-After`` when the server
sends one. A non-idempotent request (POST) is re-sent automatically only when the failure proves
the server did not act on it: the connection was never made (refused, DNS, connect timeout) or the
server answered 429. Any other POST failure raises with ``outcome_unknown=True``, because CFIS has
no idempotency key and a blind re-send could create a duplicate.

Outcome of a POST (assumption A37): only a 4xx answer proves it was not applied (``outcome_unknown``
false); a 1xx/3xx/5xx answer, a timeout or a broken connection after sending leave it unknown; a
2xx answer is a success whatever its body, even one that could not be read (``raw=True`` hands the
raw answer to the caller instead of decoding it).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Generator, Mapping
from typing import Any

import aiohttp
import backoff
from multidict import CIMultiDict
from yarl import URL

from ._core import json as _json
from ._core.responses import build_status_error, decode_body, parse_retry_after
from .auth import TokenManager
from .config import ClientConfig
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfirmaError,
    ResponseDecodeError,
)

Params = Mapping[str, str]
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class RawAnswer:
    """A 2xx answer handed over undecoded (``Transport.request(..., raw=True)``).

    ``body`` is exactly what was received; ``problem`` says why it is incomplete when reading it
    failed after the status line had arrived (the request was applied all the same); ``headers``
    are the answer's headers.
    """

    __slots__ = ("body", "headers", "problem", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        problem: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.problem = problem
        self.headers: Mapping[str, str] = headers if headers is not None else {}

    def __repr__(self) -> str:
        return f"RawAnswer(status={self.status}, {len(self.body)} bytes, problem={self.problem!r})"


class _RetryableFailure(Exception):
    """Internal: wraps an error that the retry loop may retry; never escapes the transport."""

    def __init__(self, error: ConfirmaError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class _Call:
    """The state of one logical request across its attempts."""

    __slots__ = (
        "attempts",
        "body",
        "extra_headers",
        "failed_first",
        "generation",
        "idempotent",
        "method",
        "params",
        "path",
        "raw",
        "token",
        "url",
    )

    def __init__(
        self,
        method: str,
        path: str,
        url: URL,
        params: Params | None,
        body: bytes | None,
        idem: bool,
    ) -> None:
        self.method = method
        self.path = path
        self.url = url
        self.params = params
        self.body = body
        self.idempotent = idem
        self.attempts = 0
        self.generation = 0
        self.token: str | None = None
        self.failed_first: _RetryableFailure | None = None
        self.extra_headers: Mapping[str, str] | None = None
        self.raw = False


def _merged(headers: Mapping[str, str], extra: Mapping[str, str]) -> CIMultiDict[str]:
    """``headers`` with ``extra`` replacing any header of the same name, whatever its case."""
    merged = CIMultiDict(headers)
    for name, value in extra.items():
        merged[name] = value
    return merged


def _wait_generator(base: float, cap: float) -> Generator[float, Any, None]:
    """Backoff wait generator: full jitter, or the server's Retry-After when the failure has one.

    ``backoff`` sends each caught exception into the generator, so the wait can depend on it.
    """
    failure = yield 0.0  # primed by backoff with send(None)
    attempt = 0
    while True:
        retry_after = getattr(failure, "retry_after", None)
        if retry_after is not None:
            wait = float(retry_after)
        else:
            wait = random.uniform(0.0, min(cap, base * (2**attempt)))
        attempt += 1
        failure = yield wait


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
        self._urls: dict[str, URL] = {}
        self._static_headers = {"Accept": "application/json", "User-Agent": config.user_agent}
        self._headers_for: dict[tuple[str, str, bool], dict[str, str]] = {}
        self._retry = backoff.on_exception(
            lambda: _wait_generator(config.backoff_base, config.backoff_cap),
            _RetryableFailure,
            max_tries=config.max_retries + 1,
            jitter=None,
            on_backoff=self._log_backoff,
        )(self._retry_attempt)

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
    ) -> Any:
        """Send a request and return its decoded JSON body (``None`` for 204/empty).

        ``json`` is wire data (already unstructured); ``idempotent`` defaults from the method.
        A 401 renews the token once (shared with concurrent requests) and replays the request;
        if that renewal fails, the 401 is raised (the request was not applied), caused by the
        renewal's error. ``api_key`` sends another key instead of the managed token (the partner
        provisioning token of *create client*); such a request is retried but never triggers a
        renewal. ``headers`` are sent in addition (checked by the caller). ``raw`` returns a
        2xx answer as a :class:`RawAnswer` instead of decoding it.
        """
        body = None if json is None else _json.dumps(json)
        idem = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        call = _Call(method, path, self._url(path), params, body, idem)
        call.extra_headers = headers
        call.raw = raw
        if api_key is not None:
            call.token = api_key
        elif self._tokens.renewal_due():
            await self._tokens.ensure_fresh()
        # Perf: the first attempt is awaited right here, not through ``_send``: every await layer
        # is re-entered at each suspension of the request, and this is the hot path.
        try:
            try:
                return await self._attempt(call)
            except _RetryableFailure as failure:
                return await self._retry_after(call, failure)
        except AuthenticationError as unauthorized:
            if api_key is not None:
                raise
            try:
                await self._tokens.after_unauthorized(call.generation)
            except ConfirmaError as renewal:
                unauthorized.add_note(f"renewing the token failed: {renewal}")
                raise unauthorized from renewal
            return await self._send(call)

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
        call = _Call(method, path, self._url(path), params, None, False)
        call.token = token
        call.extra_headers = headers
        call.raw = raw
        try:
            return await self._attempt(call)
        except _RetryableFailure as failure:
            raise failure.error from failure.error.__cause__

    async def _send(self, call: _Call) -> Any:
        """Send with retries (``request`` inlines this for its first send)."""
        try:
            return await self._attempt(call)
        except _RetryableFailure as failure:
            return await self._retry_after(call, failure)

    async def _retry_after(self, call: _Call, failure: _RetryableFailure) -> Any:
        """Retry under ``backoff`` after a first attempt failed with ``failure``.

        Perf: almost every request succeeds at once, and entering ``backoff``'s retry loop costs
        about as much as a quarter of aiohttp's own work per request. So the first attempt is made
        outside it, and only its failure enters the loop, which starts by replaying that failure
        (no request) so the policy is exactly ``backoff``'s: same tries, waits, Retry-After and
        ``on_backoff`` logging as if the loop had made the first attempt itself.
        """
        try:
            if self._config.max_retries == 0:
                raise failure
            call.failed_first = failure
            return await self._retry(call)
        except _RetryableFailure as final:
            raise final.error from final.error.__cause__

    async def _retry_attempt(self, call: _Call) -> Any:
        """One try inside the retry loop; the loop's first try replays the first failure."""
        failed, call.failed_first = call.failed_first, None
        if failed is not None:
            raise failed
        return await self._attempt(call)

    async def _attempt(self, call: _Call) -> Any:
        call.attempts += 1
        header, current = self._tokens.auth_header()
        call.generation = self._tokens.generation
        headers: Mapping[str, str] = self._headers(
            header, current if call.token is None else call.token, call.body
        )
        if call.extra_headers:
            headers = _merged(headers, call.extra_headers)
        gate = self._debug_gate
        log = gate is None or gate.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if log else 0.0
        status: int | None = None
        session = self._session()
        try:
            async with session.request(
                call.method, call.url, params=call.params, data=call.body, headers=headers
            ) as resp:
                status = resp.status
                if call.raw and status < 300:
                    try:  # inlined: this is the bulk upload's hot path
                        return RawAnswer(status, await resp.read(), headers=resp.headers)
                    except (aiohttp.ClientError, TimeoutError) as exc:
                        # A 2xx arrived: the request was applied, however its body ends.
                        problem = f"the body could not be read ({type(exc).__name__})"
                        return RawAnswer(status, b"", problem, resp.headers)
                raw = await resp.read()
                resp_headers = resp.headers
                reason = resp.reason
        except aiohttp.ClientConnectorCertificateError as exc:
            raise APIConnectionError(f"TLS certificate error: {exc}") from exc
        except aiohttp.ClientConnectorError as exc:
            err: ConfirmaError = APIConnectionError(f"cannot connect: {exc}", outcome_unknown=False)
            raise _RetryableFailure(err) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            err = APITimeoutError("timed out connecting", outcome_unknown=False)
            raise _RetryableFailure(err) from exc
        except TimeoutError as exc:
            err = APITimeoutError(
                f"{call.method} {call.path} timed out", outcome_unknown=not call.idempotent
            )
            raise self._maybe_retry(err, call) from exc
        except aiohttp.ClientError as exc:
            err = APIConnectionError(
                f"{call.method} {call.path} failed: {type(exc).__name__}: {exc}",
                outcome_unknown=not call.idempotent,
            )
            raise self._maybe_retry(err, call) from exc
        finally:
            if log:
                self._log_attempt(call, status, started)
        if resp.status < 300:
            if resp.status == 204:
                return None
            body = decode_body(raw)
            if isinstance(body, str):
                raise ResponseDecodeError("response is not JSON", path="$", body=body)
            return body
        return self._raise_status(call, resp.status, reason, raw, resp_headers)

    def _raise_status(
        self, call: _Call, status: int, reason: str | None, raw: bytes, headers: Any
    ) -> Any:
        # Only a 4xx proves a non-idempotent request was not applied (A37).
        unknown = not call.idempotent and not 400 <= status < 500
        error = build_status_error(
            status=status,
            reason=reason,
            raw=raw,
            headers=headers,
            method=call.method,
            path=call.path,
            retry_after_cap=self._config.retry_after_cap,
            outcome_unknown=unknown,
        )
        if status == 429 or (status >= 500 and call.idempotent):
            retry_after = parse_retry_after(
                headers.get("Retry-After"), cap=self._config.retry_after_cap
            )
            raise _RetryableFailure(error, retry_after)
        raise error

    @staticmethod
    def _maybe_retry(error: ConfirmaError, call: _Call) -> Exception:
        return _RetryableFailure(error) if call.idempotent else error

    def _headers(self, header: str, token: str, body: bytes | None) -> dict[str, str]:
        """The request headers, built once per token (aiohttp copies them, never changes them)."""
        key = (header, token, body is not None)
        headers = self._headers_for.get(key)
        if headers is None:
            if len(self._headers_for) > 8:  # old tokens: forget them
                self._headers_for.clear()
            headers = {**self._static_headers, header: token}
            if body is not None:
                headers["Content-Type"] = "application/json"
            self._headers_for[key] = headers
        return headers

    def _log_attempt(self, call: _Call, status: int | None, started: float) -> None:
        self._log.debug(
            "confirma_request",
            method=call.method,
            path=call.path,
            status=status,
            attempt=call.attempts,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    def _log_backoff(self, details: Any) -> None:
        failure = details.get("exception")
        error = getattr(failure, "error", None)
        call = details["args"][0]
        self._log.info(
            "confirma_retry",
            method=call.method,
            path=call.path,
            attempt=call.attempts,
            wait_s=round(details.get("wait", 0.0), 3),
            error_type=type(error).__name__,
            status=error.status if isinstance(error, APIStatusError) else None,
        )
