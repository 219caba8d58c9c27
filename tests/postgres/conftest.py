"""Fixtures of the PostgreSQL store tests: the sandbox's configuration and a fast client.

The database comes from ``postgres_dsn`` (tests/conftest.py: a throwaway server on 127.0.0.1, a
fresh database per test); the sandbox and the client from the library's pytest plugin.
"""

from __future__ import annotations

import pytest

from confirma_async import ClientConfig
from confirma_async.testing import SandboxConfig

# Tiny backoff so retries cost microseconds; Retry-After is honoured but capped at 1 ms.
FAST = ClientConfig(
    backoff_base=0.0001, backoff_cap=0.0005, retry_after_cap=0.001, max_retries=8, pool_limit=100
)


@pytest.fixture
def confirma_sandbox_config() -> SandboxConfig:
    return SandboxConfig(seed=20260115, distribution_failure_rate=0)


@pytest.fixture
def confirma_client_config() -> ClientConfig:
    return FAST
