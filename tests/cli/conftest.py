"""CLI tests: a sandbox served from a background thread, and helpers to run ``confirma``.

The CLI runs its own event loop (``asyncio.run``), so the sandbox lives in another thread with its
own loop; tests reach into it only through :meth:`ServerThread.call` / :meth:`ServerThread.run`,
which execute on the sandbox's loop.
"""

from __future__ import annotations

import asyncio
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest
from click.testing import CliRunner, Result

from confirma_async import ConfirmaClient
from confirma_async._core.json import dumps
from confirma_async.cli import cli
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig, sample_invoice

T = TypeVar("T")
TIMEOUT = 15.0

# A fresh interpreter that behaves as when started from a terminal: Ctrl-C (SIGINT) raises
# KeyboardInterrupt even if this test process was started with SIGINT ignored.
BOOTSTRAP = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from confirma_async.cli import main; sys.exit(main())"
)


class ServerThread:
    """A :class:`Sandbox` on 127.0.0.1 (any port), served by an event loop in its own thread."""

    def __init__(self, config: SandboxConfig, clock: ManualClock) -> None:
        self.config = config
        self.clock = clock
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._sandbox: Sandbox | None = None
        self._thread = threading.Thread(target=self._main, name="sandbox", daemon=True)

    @property
    def sandbox(self) -> Sandbox:
        assert self._sandbox is not None
        return self._sandbox

    @property
    def today(self) -> date:
        return self.clock.now().date()

    def start(self) -> ServerThread:
        self._thread.start()
        assert self._ready.wait(TIMEOUT), "the sandbox did not start"
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "the sandbox thread did not stop"

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine function on the sandbox's loop and return its result."""
        assert self._loop is not None

        async def wrapper() -> T:
            return await work()

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(TIMEOUT)

    def call(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the sandbox's loop (safe against concurrent requests)."""

        async def work() -> T:
            return fn()

        return self.run(work)

    def advance(self, delta: timedelta) -> None:
        self.call(lambda: self.sandbox.advance(delta))

    def env(self, token: str | None = None) -> dict[str, str | None]:
        """Environment for a ``confirma`` run against this sandbox."""
        return {
            "CONFIRMA_API_KEY": token if token is not None else self.sandbox.client_token,
            "CONFIRMA_BASE_URL": self.sandbox.base_url,
            "CONFIRMA_ENVIRONMENT": None,
            "CONFIRMA_TOKEN_FILE": None,
        }

    def client_run(self, work: Callable[[ConfirmaClient], Awaitable[T]]) -> T:
        """Run ``work(client)`` with a library client on the sandbox's loop."""

        async def go() -> T:
            client = ConfirmaClient(
                api_key=self.sandbox.client_token, base_url=self.sandbox.base_url
            )
            async with client:
                return await work(client)

        return self.run(go)

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with Sandbox(self.config, clock=self.clock) as sandbox:
                self._sandbox = sandbox
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:
            self._error = exc
            self._ready.set()


DEFAULT_CONFIG = SandboxConfig(
    distribution_failure_rate=0, debtor_payment_rate=1.0, sync_failure_rate=0
)


@pytest.fixture
def make_server() -> Iterator[Callable[..., ServerThread]]:
    servers: list[ServerThread] = []

    def make(config: SandboxConfig = DEFAULT_CONFIG) -> ServerThread:
        # The clock starts at the real "now" (to the second): the --watch poller reads the
        # real date, the sandbox's clock moves only when a test advances it.
        now = datetime.now(UTC).replace(microsecond=0)
        server = ServerThread(config, ManualClock(now)).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., ServerThread]) -> ServerThread:
    return make_server()


def invoke(args: Sequence[str], env: Mapping[str, str | None], input: str | None = None) -> Result:
    """Run ``confirma ARGS`` in this process (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, list(args), env=dict(env), input=input, catch_exceptions=False)


def write_jsonl(path: Path, lines: Sequence[bytes | Mapping[str, Any]]) -> Path:
    """A JSONL file: mappings are serialised, bytes written as they are (one line each)."""
    with path.open("wb") as fh:
        for line in lines:
            fh.write((line if isinstance(line, bytes) else dumps(line)) + b"\n")
    return path


def invoices(numbers: Sequence[int], day: date) -> list[dict[str, Any]]:
    return [sample_invoice(n, invoice_date=day) for n in numbers]


def spawn(args: Sequence[str], env: Mapping[str, str | None]) -> subprocess.Popen[bytes]:
    """Start ``confirma ARGS`` in a fresh interpreter with pipes for stdout and stderr."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIRMA_")}
    full_env.update({k: v for k, v in env.items() if v is not None})
    return subprocess.Popen(
        [sys.executable, "-c", BOOTSTRAP, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=full_env,
    )


class LineReader:
    """Reads a pipe line by line in a thread, so a test can wait for a line with a timeout."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[bytes]) -> None:
        for line in iter(stream.readline, b""):
            self._lines.put(line)
        self._lines.put(b"")

    def next(self) -> bytes:
        line = self._lines.get(timeout=TIMEOUT)
        assert line, "the stream ended"
        return line

    def rest(self) -> list[bytes]:
        """Every remaining line, once the stream has ended."""
        self._thread.join(TIMEOUT)
        out = []
        while True:
            line = self._lines.get_nowait()
            if not line:
                return out
            out.append(line)
