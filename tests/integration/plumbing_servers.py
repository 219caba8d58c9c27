"""Servers for the plumbing tests, all on 127.0.0.1: an HTTP proxy, and a tiny API over TLS."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trustme
from aiohttp import web
from yarl import URL

PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class Proxy:
    """A forward proxy: ``CONNECT`` tunnels, and absolute-form requests (one per connection).

    ``seen`` lists the request line of everything it handled, so a test can tell that a request
    went through it (and which).
    """

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> Proxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line, _, rest = head.partition(b"\r\n")
            self.seen.append(line.decode())
            method, target, _version = line.decode().split(" ", 2)
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                up_reader, upstream = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
                return
            url = URL(target)
            headers = [
                h for h in rest.split(b"\r\n") if h and not h.lower().startswith(b"connection:")
            ]
            length = next(
                (
                    int(h.split(b":", 1)[1])
                    for h in headers
                    if h.lower().startswith(b"content-length:")
                ),
                0,
            )
            body = await reader.readexactly(length) if length else b""
            up_reader, upstream = await asyncio.open_connection(url.host, url.port)
            upstream.write(
                f"{method} {url.raw_path_qs} HTTP/1.1\r\n".encode()
                + b"\r\n".join([*headers, b"Connection: close"])
                + b"\r\n\r\n"
                + body
            )
            await upstream.drain()
            await _pipe(up_reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for w in (upstream, writer):
                if w is not None:
                    w.close()
            self._writers.discard(writer)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    if writer.can_write_eof():
        with contextlib.suppress(OSError):
            writer.write_eof()


class TLS:
    """A throwaway CA and a certificate for 127.0.0.1 (trustme), and contexts for both sides."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self.server_context)

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this CA (and nothing else)."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


@asynccontextmanager
async def tls_api(tls: TLS) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A tiny CFIS over https on 127.0.0.1 answering ``GET /validate``; yields base URL and log."""
    seen: list[dict[str, Any]] = []

    async def validate(request: web.Request) -> web.Response:
        seen.append({"path": request.path, "headers": dict(request.headers)})
        return web.json_response({"isValid": True, "message": "Token is valid"})

    app = web.Application()
    app.router.add_get("/api/v1/partner/validate", validate)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls.server_context)
    await site.start()
    try:
        port = runner.addresses[0][1]
        yield f"https://127.0.0.1:{port}/api/v1/partner", seen
    finally:
        await runner.cleanup()
