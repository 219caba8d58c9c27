"""Helpers for the sandbox's own tests: a bare aiohttp session bound to the sandbox fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from confirma_async._core.json import dumps, loads
from confirma_async.testing import Sandbox

DEFAULT = object()


@dataclass
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str]

    @property
    def fields(self) -> dict[str, str]:
        return {e["field"]: e["message"] for e in self.body.get("errors", [])}


class Api:
    """Raw HTTP against the sandbox, deliberately not using the client library."""

    def __init__(self, session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
        self.session = session
        self.sandbox = sandbox

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: Any = DEFAULT,
        params: Mapping[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Reply:
        headers = {"Accept": "application/json"}
        key = self.sandbox.client_token if token is DEFAULT else token
        if key is not None:
            headers["X-Api-Key"] = key
        data = raw if raw is not None else (dumps(body) if body is not None else None)
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with self.session.request(
            method, self.sandbox.base_url + path, data=data, headers=headers, params=params
        ) as resp:
            payload = await resp.read()
            return Reply(resp.status, loads(payload) if payload else None, resp.headers)

    async def get(self, path: str, **params: str) -> Reply:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, body: Any, **kwargs: Any) -> Reply:
        return await self.call("POST", path, body, **kwargs)


@pytest.fixture
async def api(confirma_sandbox: Sandbox) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, confirma_sandbox)
