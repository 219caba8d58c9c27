"""Seeded synthetic distribution and payment records, produced per day on demand.

Nothing is stored: record ``i`` of day ``k`` is a pure function of ``(seed, k, i)``, so a window
always yields the same records, memory stays flat whatever the total (1,000,000 records cost a few
cached days), and any record can be looked up by its invoice number. Records of a day are serialised
to JSON bytes once and kept in a small LRU cache, because streaming clients read every record
exactly once.

Numbering: generated invoice ``(k, i)`` has number ``GEN_INVOICE_BASE + k * PER_DAY + i`` and, when
under payment control, case id ``GEN_CASE_BASE + k * PER_DAY + i``; numbers therefore increase with
the invoice date, which gives the A11 order (invoice date, then invoice number) for free.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from typing import Final

GEN_INVOICE_BASE: Final = 8_000_000_000_000
GEN_CASE_BASE: Final = 5_000_000_000_000
GEN_ORPHAN_BASE: Final = 9_000_000_000_000
PER_DAY: Final = 1_000_000
_M64: Final = (1 << 64) - 1
_PAYMENT_TAG: Final = 0x5A5A_0000_0000_0000
_METHODS: Final = ("EMAIL", "EMAIL", "EMAIL", "PAPER", "EINVOICE", "EMAIL", "EMAIL", "EINVOICE")
_PAYERS: Final = ("ACME Oy", "Matti Meikäläinen", "Nordic Parts AB", "Kauppa Ky", "Erik Olsen")


def mix64(x: int) -> int:
    """SplitMix64 finaliser: a fast, well-spread 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def unit(seed: int, key: object) -> float:
    """A deterministic draw in ``[0, 1)`` for ``key`` under ``seed``."""
    digest = hashlib.blake2b(f"{seed}|{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def rf_reference(base: str) -> str:
    """ISO 11649 creditor reference (``RF`` + check digits + ``base``) for a numeric ``base``."""
    check = 98 - int(base + "271500") % 97
    return f"RF{check:02d}{base}"


_HH_MM: Final = tuple(f"{m // 60 % 24:02d}:{m % 60:02d}:" for m in range(1440 * 2))
_SS: Final = tuple(f"{s:02d}" for s in range(60))
_SS2: Final = tuple(f"{c:02d}" for c in range(100))


def _clock(seconds: int) -> str:
    """``HH:MM:SS`` of a second of the day (table lookups: this runs once per generated record)."""
    return _HH_MM[seconds // 60] + _SS[seconds % 60]


class Generator:
    """Synthetic records of the default client, spread evenly over ``days`` days up to ``end``."""

    def __init__(
        self,
        *,
        seed: int,
        records: int,
        payments: int,
        days: int,
        end: date,
        failure_rate: float,
    ) -> None:
        self.records = records
        self.payments = payments
        self.days = days
        self.start = end - timedelta(days=days - 1)
        self.end = end
        self._salt = mix64(seed & _M64)
        self._fail_below = int(failure_rate * 10_000)
        self.distribution_day: Callable[[int], tuple[bytes, ...]] = lru_cache(maxsize=8)(
            self._build_distribution_day
        )
        self.distribution_counts: Callable[[int], tuple[int, int]] = lru_cache(maxsize=4096)(
            self._count_distribution_day
        )
        self.payments_day: Callable[[int], tuple[bytes, ...]] = lru_cache(maxsize=8)(
            self._build_payments_day
        )

    @staticmethod
    def per_day(total: int, days: int, k: int) -> int:
        """How many of ``total`` records fall on day ``k`` (an even spread, exact total)."""
        base, extra = divmod(total, days)
        return base + (1 if k < extra else 0)

    def day_index(self, day: date) -> int | None:
        """Index of ``day`` in the generated range, or ``None`` outside it."""
        k = (day - self.start).days
        return k if 0 <= k < self.days else None

    def day(self, k: int) -> date:
        """The date of day index ``k``."""
        return self.start + timedelta(days=k)

    def locate_invoice(self, number: int) -> tuple[int, int] | None:
        """``(k, i)`` of a generated invoice number, or ``None`` if it is not one."""
        k, i = divmod(number - GEN_INVOICE_BASE, PER_DAY)
        if number < GEN_INVOICE_BASE or k >= self.days:
            return None
        return (k, i) if i < self.per_day(self.records, self.days, k) else None

    def _failed(self, number: int) -> bool:
        return mix64(number ^ self._salt) % 10_000 < self._fail_below

    def distribution_status(self, number: int) -> str:
        """``DELIVERED`` or ``FAILED``: the status of generated invoice ``number``."""
        return "FAILED" if self._failed(number) else "DELIVERED"

    def _count_distribution_day(self, k: int) -> tuple[int, int]:
        """``(delivered, failed)`` counts of day ``k``."""
        n = self.per_day(self.records, self.days, k)
        first = GEN_INVOICE_BASE + k * PER_DAY
        failed = sum(1 for number in range(first, first + n) if self._failed(number))
        return n - failed, failed

    def distribution_record(self, k: int, i: int) -> bytes:
        """The serialised distribution record ``i`` of day ``k`` (A11 field set)."""
        return self._distribution_records(k, i, i + 1)[0]

    def _build_distribution_day(self, k: int) -> tuple[bytes, ...]:
        return self._distribution_records(k, 0, self.per_day(self.records, self.days, k))

    def _distribution_records(self, k: int, first: int, stop: int) -> tuple[bytes, ...]:
        day = self.day(k).isoformat()
        n = max(self.per_day(self.records, self.days, k), 1)
        base = k * PER_DAY
        salt, fail_below = self._salt, self._fail_below
        out = []
        for i in range(first, stop):
            number = GEN_INVOICE_BASE + base + i
            h = mix64(number ^ salt)
            seconds = 21_600 + i * 57_600 // n
            created = f"{day}T{_clock(seconds)}.000Z"
            updated = f"{day}T{_clock(seconds + 900)}.000Z"
            if (h >> 16) & 1:
                case = GEN_CASE_BASE + base + i
                control = "CLOSED" if (h >> 17) & 3 else "ACTIVE"
            else:
                case, control = None, "NONE"
            if h % 10_000 < fail_below:
                status, delivered = "FAILED", "null"
            else:
                status, delivered = "DELIVERED", f'"{updated}"'
            out.append(
                f'{{"invoiceNumber":{number},"invoiceDate":"{day}",'
                f'"caseId":{"null" if case is None else case},'
                f'"distributionMethod":"{_METHODS[(h >> 20) & 7]}","distributionStatus":"{status}",'
                f'"paymentControlStatus":"{control}","createdAt":"{created}",'
                f'"updatedAt":"{updated}","deliveredAt":{delivered}}}'.encode()
            )
        return tuple(out)

    def _build_payments_day(self, k: int) -> tuple[bytes, ...]:
        day = self.day(k)
        stamp = f"{day.isoformat()}T00:00:00Z"
        booked = f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z"
        salt, first = self._salt, _PAYMENT_TAG + k * PER_DAY
        out = []
        for i in range(self.per_day(self.payments, self.days, k)):
            h = mix64((first + i) ^ salt)
            number, case = self._paid_invoice(k, i, h)
            reference = rf_reference(str(number))
            cents = 100 + h % 200_000
            out.append(
                f'{{"caseId":{case},"invoiceNumber":"{number}",'
                f'"invoicePaymentReference":"{reference}",'
                f'"originalPaymentReference":"{"" if (h >> 40) & 7 == 0 else reference}",'
                f'"accountName":"{_PAYERS[(h >> 44) % len(_PAYERS)]}",'
                f'"bookingDate":"{booked if (h >> 48) & 1 else stamp}",'
                f'"paymentDate":"{stamp}","amount":{cents // 100}.{_SS2[cents % 100]},'
                f'"currency":"EUR"}}'.encode()
            )
        return tuple(out)

    def _paid_invoice(self, k: int, i: int, h: int) -> tuple[int, int]:
        """The generated invoice (and its case) a generated payment pays."""
        k2 = max(0, k - 7 - (h >> 24) % 21)
        n2 = self.per_day(self.records, self.days, k2)
        if n2 == 0:
            offset = k * PER_DAY + i
            return GEN_ORPHAN_BASE + offset, GEN_CASE_BASE + GEN_ORPHAN_BASE + offset
        offset = k2 * PER_DAY + (h >> 32) % n2
        return GEN_INVOICE_BASE + offset, GEN_CASE_BASE + offset
