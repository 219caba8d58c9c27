"""A local CFIS sandbox: an aiohttp emulation of the Confirma Finance Integrations API.

Use it like stripe-mock, with behaviour and faults::

    from confirma_async.testing import ManualClock, Sandbox, SandboxConfig

    async with Sandbox(SandboxConfig(seed=7), clock=ManualClock()) as sb:
        # point a client at sb.base_url with sb.client_token
        sb.faults.fail_next(2, "GET", "/payments", status=503)
        sb.advance(timedelta(minutes=10))          # distribution moves on, actions apply
        assert sb.state.accepted_count(251601000) == 1

Every endpoint of the API reference is served under ``/api/v1/partner`` with the ``X-Api-Key``
header, the A3 error body and the choices of ``docs/api-assumptions.md``. Requests are validated by
the sandbox's own checks (never the client's models), so client bugs surface as 400s. State evolves
on an injectable clock, large synthetic data sets are generated per window, and faults (latency,
5xx, 429, dropped connections, commit-then-drop, slow answers, token expiry) are injected
deterministically from the seed. ``SandboxConfig(dialect="alternate")`` spells every guessed
response shape differently (``ALTERNATE_DIALECT``) while keeping every documented fact. The pytest
plugin (``confirma_async.testing.pytest_plugin``) provides the ``confirma_sandbox`` fixture;
``confirma sandbox`` serves one from the command line.
"""

from __future__ import annotations

from ._accounting import SyncItem
from ._actions import StoredAction
from ._cases import Case, CaseEvent, CasePayment
from ._clock import Clock, ManualClock, SystemClock
from ._config import DialectName, SandboxConfig
from ._dialect import ALTERNATE_DIALECT, Dialect, EndpointRules, ObjectRules
from ._faults import FaultKind, FaultRule, Faults, parse_duration, parse_token_expiry
from ._hold import HeldRequests
from ._inspect import ReceivedRequest
from ._invoice import StoredInvoice
from ._money import PaymentRecord, Settlement
from ._samples import sample_accounting_payment, sample_client, sample_invoice, sample_ledger
from ._server import Sandbox
from ._state import SandboxState

__all__ = [
    "ALTERNATE_DIALECT",
    "Case",
    "CaseEvent",
    "CasePayment",
    "Clock",
    "Dialect",
    "DialectName",
    "EndpointRules",
    "FaultKind",
    "FaultRule",
    "Faults",
    "HeldRequests",
    "ManualClock",
    "ObjectRules",
    "PaymentRecord",
    "ReceivedRequest",
    "Sandbox",
    "SandboxConfig",
    "SandboxState",
    "Settlement",
    "StoredAction",
    "StoredInvoice",
    "SyncItem",
    "SystemClock",
    "parse_duration",
    "parse_token_expiry",
    "sample_accounting_payment",
    "sample_client",
    "sample_invoice",
    "sample_ledger",
]
