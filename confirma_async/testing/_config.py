"""Configuration of a sandbox instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, get_args

from ._faults import FaultRule
from ._validate import AMOUNT_DIGITS

DialectName = Literal["reference", "alternate"]
"""``reference``: as ``docs/api-assumptions.md`` chose; ``alternate``: see ``ALTERNATE_DIALECT``."""


@dataclass(frozen=True, kw_only=True)
class SandboxConfig:
    """Everything that shapes one sandbox: seed, limits, delays, generated data and initial faults.

    All delays are measured on the sandbox clock, so with a :class:`ManualClock` they pass only when
    the test advances the clock.
    """

    seed: int = 0
    """Seeds tokens, generated data, fault draws and every deterministic outcome."""

    max_records_per_response: int = 10_000
    """A11: a distribution window matching more records returns the first N, ``totalCount`` = all.
    Payments and settlements windows matching more answer 413 ``WINDOW_TOO_LARGE`` instead (their
    responses carry no count to signal the cut)."""

    max_window_days: int = 366
    """Longest date window (inclusive days) of any listing; longer ones answer 413."""

    default_window_days: int = 30
    """A listing without dates covers ``today - N days .. today`` (DOC: the last 30 days)."""

    reject_duplicates: bool = True
    """A7: a repeated invoice number answers 409. ``False`` stores it again (so tests can count)."""

    distribution_delay: timedelta = timedelta(minutes=5)
    """Time from acceptance until the distribution record leaves ``QUEUED``."""

    distribution_failure_rate: float = 0.02
    """Share of distributions that end ``FAILED`` (chosen per invoice number from the seed)."""

    action_delay: timedelta = timedelta(minutes=1)
    """Time an invoice action stays ``PENDING`` before it is applied."""

    sync_delay: timedelta = timedelta(minutes=10)
    """Time an accounting submission stays at sync status 0 (pending)."""

    sync_failure_rate: float = 0.05
    """Share of accounting submissions that end with status 2 (failed), chosen per identifier."""

    debtor_payment_rate: float = 0.5
    """Share of payment-controlled invoices whose debtor pays the balance by themselves."""

    debtor_payment_delay: timedelta = timedelta(days=3)
    """Time after delivery at which those debtors pay."""

    settlement_delay: timedelta = timedelta(days=1)
    """Time from the first unsettled payment to the settlement run that pays it out."""

    reminder_fee: Decimal = Decimal("5.00")
    """Costs added to a case the day after its due date passes unpaid (below ``10**13``)."""

    reminder_interest_rate: Decimal = Decimal("0.01")
    """Share of the capital added as interest at that reminder (within [0, 1])."""

    token_lifetime: timedelta | None = None
    """Lifetime of tokens issued by renew and create-client; ``None`` = no expiry."""

    expire_tokens_after: timedelta | None = None
    """Fault: tokens issued before ``start + this`` expire at that moment (renew to go on)."""

    generated_records: int = 0
    """Synthetic distribution records served for the default client (e.g. 1_000_000)."""

    generated_payments: int = 0
    """Synthetic payment records served for the default client."""

    generated_days: int = 365
    """Number of days the synthetic records are spread over."""

    generated_end: date | None = None
    """Last day with synthetic records; ``None`` = the day before the sandbox started."""

    faults: tuple[FaultRule, ...] = field(default=())
    """Fault rules installed when the sandbox starts."""

    shutdown_timeout: float = 0.5
    """Seconds the server waits for in-flight (e.g. deliberately slow) handlers when it stops."""

    dialect: DialectName = "reference"
    """How guessed response shapes are spelt: ``"reference"`` answers as
    ``docs/api-assumptions.md`` chose; ``"alternate"`` spells every guess differently (other key
    names, extra keys, RFC 7807 errors, ``X-Correlation-Id``; see ``ALTERNATE_DIALECT``) while
    keeping every documented fact, to test a client against an API that guessed otherwise."""

    def __post_init__(self) -> None:
        for name in _INTEGERS:  # 1.5 records or True days would fail deep inside a request
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, not {value!r}")
        for name in _DELAYS:  # added to the clock: a huge one overflows datetime mid-request
            value = getattr(self, name)
            optional = name in ("token_lifetime", "expire_tokens_after")
            if value is None and optional:
                continue
            if not isinstance(value, timedelta) or not timedelta(0) <= value <= _LONGEST:
                limit = "a timedelta" + (" or None" if optional else "")
                raise ValueError(f"{name} must be {limit} within [0, 100 years], not {value!r}")
        if not isinstance(self.shutdown_timeout, int | float) or not (
            0 <= self.shutdown_timeout <= 3600
        ):
            raise ValueError(
                f"shutdown_timeout must be seconds within [0, 3600], not {self.shutdown_timeout!r}"
            )
        if self.dialect not in get_args(DialectName):
            choices = " or ".join(repr(name) for name in get_args(DialectName))
            raise ValueError(f"dialect must be {choices}, not {self.dialect!r}")
        if self.max_records_per_response < 1:
            raise ValueError("max_records_per_response must be at least 1")
        if self.max_window_days < 1 or self.default_window_days < 0:
            raise ValueError("window lengths must be positive")
        if self.generated_days < 1:
            raise ValueError("generated_days must be at least 1")
        if self.generated_records < 0 or self.generated_payments < 0:
            raise ValueError("generated counts must not be negative")
        if max(self.generated_records, self.generated_payments) > 900_000 * self.generated_days:
            raise ValueError("at most 900,000 generated records per day")
        for name in ("distribution_failure_rate", "sync_failure_rate", "debtor_payment_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        # Checked here, not when the first reminder's cent arithmetic would fail on them.
        fee, rate = self.reminder_fee, self.reminder_interest_rate
        if not _finite(fee) or not 0 <= fee < 10**AMOUNT_DIGITS:
            raise ValueError(
                f"reminder_fee must be at least 0 and below 1E+{AMOUNT_DIGITS}, not {fee!r}"
            )
        if not _finite(rate) or not 0 <= rate <= 1:
            raise ValueError(f"reminder_interest_rate must be within [0, 1], not {rate!r}")


_INTEGERS = (
    "seed",
    "max_records_per_response",
    "max_window_days",
    "default_window_days",
    "generated_records",
    "generated_payments",
    "generated_days",
)
_DELAYS = (
    "distribution_delay",
    "action_delay",
    "sync_delay",
    "debtor_payment_delay",
    "settlement_delay",
    "token_lifetime",
    "expire_tokens_after",
)
_LONGEST = timedelta(days=36_525)


def _finite(value: object) -> bool:
    """True for an ``int`` or a finite ``Decimal`` (the numbers the sandbox's arithmetic takes)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return False
    return not isinstance(value, Decimal) or value.is_finite()
