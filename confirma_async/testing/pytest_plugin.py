"""pytest plugin (entry point ``confirma_sandbox``): a CFIS sandbox per test, and a client for it.

Fixtures (override any of the plain ones in your ``conftest.py``):

- ``confirma_sandbox_config``: the :class:`SandboxConfig` (default ``SandboxConfig()``).
- ``confirma_sandbox_clock``: the clock; default a fresh :class:`ManualClock`, so time moves only
  when the test calls ``confirma_sandbox.advance(...)``. Return ``None`` for real time.
- ``confirma_sandbox`` (async): a started :class:`Sandbox` on 127.0.0.1, any free port.
- ``confirma_client_config``: the ``ClientConfig`` of ``confirma_client`` (``None`` = default).
- ``confirma_client`` (async): a ``ConfirmaClient`` bound to the sandbox with the seeded client
  token, closed after the test.

Async fixtures need pytest-asyncio (any mode: they are declared with ``pytest_asyncio.fixture``);
``pip install 'confirma-async[pytest]'`` brings both. Without it, a test that asks for
``confirma_sandbox`` or ``confirma_client`` fails with that advice instead of "fixture not
found". Heavy imports happen inside the fixtures, so merely having the plugin installed costs
nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._clock import Clock
    from ._config import SandboxConfig
    from ._server import Sandbox

try:
    import pytest_asyncio

    HAVE_PYTEST_ASYNCIO = True
except ImportError:  # pragma: no cover - the async fixtures need pytest-asyncio
    HAVE_PYTEST_ASYNCIO = False


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    """Configuration of the ``confirma_sandbox`` fixture; override to change it."""
    from ._config import SandboxConfig

    return SandboxConfig()


@pytest.fixture
def confirma_sandbox_clock() -> Clock | None:
    """Clock of the ``confirma_sandbox`` fixture (a ``ManualClock``; ``None`` = real time)."""
    from ._clock import ManualClock

    return ManualClock()


@pytest.fixture
def confirma_client_config() -> Any:
    """``ClientConfig`` of the ``confirma_client`` fixture; ``None`` = the client's default."""
    return None


if HAVE_PYTEST_ASYNCIO:

    @pytest_asyncio.fixture
    async def confirma_sandbox(
        confirma_sandbox_config: SandboxConfig, confirma_sandbox_clock: Clock | None
    ) -> AsyncIterator[Sandbox]:
        """A running sandbox on 127.0.0.1 (any free port), stopped after the test."""
        from ._server import Sandbox

        sandbox = Sandbox(confirma_sandbox_config, clock=confirma_sandbox_clock)
        async with sandbox:
            yield sandbox

    @pytest_asyncio.fixture
    async def confirma_client(
        confirma_sandbox: Sandbox, confirma_client_config: Any
    ) -> AsyncIterator[Any]:
        """A ``ConfirmaClient`` bound to ``confirma_sandbox`` with the seeded client token."""
        from confirma_async import ConfirmaClient

        client = ConfirmaClient(
            api_key=confirma_sandbox.client_token,
            base_url=confirma_sandbox.base_url,
            config=confirma_client_config,
        )
        async with client:
            yield client

else:
    MISSING_PYTEST_ASYNCIO = (
        "the {name} fixture is async and needs pytest-asyncio, which is not installed: "
        "pip install 'confirma-async[pytest]' (pytest and pytest-asyncio)"
    )
    """The failure of the async fixtures when pytest-asyncio is missing."""

    @pytest.fixture
    def confirma_sandbox() -> Any:
        """Unavailable: needs pytest-asyncio (the test fails saying how to install it)."""
        pytest.fail(MISSING_PYTEST_ASYNCIO.format(name="confirma_sandbox"), pytrace=False)

    @pytest.fixture
    def confirma_client() -> Any:
        """Unavailable: needs pytest-asyncio (the test fails saying how to install it)."""
        pytest.fail(MISSING_PYTEST_ASYNCIO.format(name="confirma_client"), pytrace=False)
