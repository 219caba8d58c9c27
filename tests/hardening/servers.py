"""Tiny aiohttp servers on 127.0.0.1 for the hardening tests (each records what it received)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SEEN = web.AppKey("seen", list[dict[str, Any]])


@asynccontextmanager
async def serve(
    routes: dict[tuple[str, str], Handler],
) -> AsyncIterator[tuple[str, web.Application]]:
    """Serve ``routes`` (method, path) on a free port; yield ``http://127.0.0.1:PORT`` and the app.

    ``app[SEEN]`` lists every request received: method, path and headers.
    """
    app = web.Application()
    app[SEEN] = []

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        app[SEEN].append(
            {"method": request.method, "path": request.path, "headers": dict(request.headers)}
        )
        return await handler(request)

    app.middlewares.append(record)
    for (method, path), handler in routes.items():
        app.router.add_route(method, path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", app
    finally:
        await runner.cleanup()


async def ok(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"ok": True}, status=201 if request.method == "POST" else 200)
