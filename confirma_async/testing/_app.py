"""The aiohttp application: API routes, admin routes, and the middleware that injects faults.

Every API request passes :func:`make_middleware`: it is counted, meets the fault rules (hold,
latency, 5xx, 429, dropped connection, commit-then-drop, slow answer), brings the state up to the
clock, and turns any error (an :class:`ApiError`, an unknown path, a wrong method) into an A3
JSON body. In the alternate dialect the answer (faults included) is then respelt by ``_dialect``.

A client hanging up is a normal event for a fault-injecting server, never an error: the runner of
:class:`~confirma_async.testing.Sandbox` cancels the request's handler (``handler_cancellation``),
and a body read that fails because the client left (under a runner that does not cancel) is
logged as one DEBUG line and answered with a 499 nobody receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import struct

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .._core import wire as _wire
from ._admin import ADMIN_PREFIX, admin_routes
from ._dialect import rewriter
from ._faults import FaultRule, Faults
from ._handlers import Handlers
from ._hold import HeldRequests
from ._http import ApiError, error_body, json_response
from ._state import SandboxState

log = logging.getLogger("confirma_async.testing")
_FAULT_CODES = {
    401: _wire.CODE_UNAUTHORIZED,
    403: "FORBIDDEN",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}


def _drop(request: web.Request, *, reset: bool) -> None:
    """Close the connection without a response; ``reset`` sends a TCP RST instead of a FIN."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort() if reset else transport.close()


async def _read_body(request: web.Request) -> bytes | None:
    """The request's body for the request log (``None`` if the client left while sending it)."""
    try:
        return await request.read()  # kept by aiohttp: the handler reads the same bytes
    except ConnectionError:
        return None


def _http_error(exc: web.HTTPException) -> web.Response:
    if exc.status == 405:
        resp = json_response(error_body("METHOD_NOT_ALLOWED", "method not allowed"), 405)
        resp.headers["Allow"] = exc.headers.get("Allow", "")
        return resp
    code = _wire.CODE_NOT_FOUND if exc.status == 404 else f"HTTP_{exc.status}"
    return json_response(error_body(code, exc.reason or "error"), exc.status)


def _injected(rule: FaultRule) -> web.Response:
    if rule.kind == "rate_limit":
        headers = {"Retry-After": f"{rule.retry_after:g}"}
        return ApiError(429, _wire.CODE_RATE_LIMITED, "too many requests", (), headers).response()
    code = _FAULT_CODES.get(rule.status, "SERVER_ERROR")
    message = "injected server fault" if rule.status >= 500 else "injected: the token was refused"
    return ApiError(rule.status, code, message).response()


async def _released(hold: HeldRequests, stopping: asyncio.Event) -> bool:
    """Wait until ``hold`` lets this request go (``True``) or the sandbox stops (``False``)."""
    going = asyncio.ensure_future(hold.enter())
    stopped = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait((going, stopped), return_when=asyncio.FIRST_COMPLETED)
    finally:
        going.cancel()
        stopped.cancel()
    return going.done() and not going.cancelled()


def make_middleware(state: SandboxState, faults: Faults, stopping: asyncio.Event) -> Middleware:
    """The one middleware: counting, faults, lazy state update, JSON errors, request ids."""
    ids = itertools.count(1)
    prefix_len = len(_wire.API_PREFIX)
    rewrite = rewriter(state.config)  # None in the reference dialect: its path stays as it was
    id_header = "X-Request-Id" if rewrite is None else rewrite.request_id_header

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith(ADMIN_PREFIX):
            return await _handle(state, request, handler)
        rel = path[prefix_len:] if path.startswith(_wire.API_PREFIX + "/") else path
        endpoint = f"{request.method} {rel}"
        state.requests[endpoint] += 1
        record = state.tokens.get(request.headers.get(_wire.API_KEY_HEADER, ""))
        client = None if record is None else record.client_id
        state.client_requests[(client, endpoint)] += 1
        entry = None
        if state.received is not None:
            body = await _read_body(request) if state.record_bodies else None
            entry = state.record(endpoint, client, request.headers, body)
        state.count_connection(request.transport)
        decision = faults.decide(request.method, rel, client)
        if entry is not None and decision.outcome is not None:
            entry.fault = decision.outcome.kind
        if decision.hold is not None and not await _released(decision.hold, stopping):
            _drop(request, reset=False)  # the sandbox is stopping: never applied, never answered
            return web.Response(status=499)
        if decision.latency:
            await asyncio.sleep(decision.latency)
        rule = decision.outcome
        kind = rule.kind if rule else None
        if rule is not None and kind in ("error", "rate_limit"):
            resp: web.StreamResponse = _injected(rule)
            if entry is not None:
                entry.status = resp.status
        elif kind == "drop":
            with contextlib.suppress(ConnectionError):  # the client may have left already
                await request.read()
            _drop(request, reset=False)
            return web.Response(status=499)
        else:
            resp = await _handle(state, request, handler)
            if entry is not None:
                entry.status = resp.status
            if kind == "commit_drop":
                _drop(request, reset=True)
                return resp
            if rule is not None and kind == "slow":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), rule.delay)
        if rewrite is not None:
            resp = rewrite(endpoint, resp)
        resp.headers[id_header] = f"sbx-{next(ids):08d}"
        state.responses[(endpoint, resp.status)] += 1
        return resp

    return middleware


async def _handle(
    state: SandboxState, request: web.Request, handler: Handler
) -> web.StreamResponse:
    try:
        state.sync()
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        return _http_error(exc)
    except ConnectionError as exc:  # the client hung up before its body was read
        log.debug("client left during %s %s: %s", request.method, request.path, exc)
        return web.Response(status=499)
    except Exception:
        log.exception("sandbox handler failed for %s %s", request.method, request.path)
        return ApiError(500, "INTERNAL_ERROR", "sandbox bug: see the server log").response()


def build_app(state: SandboxState, faults: Faults, stopping: asyncio.Event) -> web.Application:
    """Assemble the application for one sandbox."""
    app = web.Application(
        middlewares=[make_middleware(state, faults, stopping)], client_max_size=16 * 2**20
    )
    app.add_routes(Handlers(state).routes())
    app.add_routes(admin_routes(state, faults))
    return app
