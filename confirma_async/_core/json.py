"""JSON encoding and decoding that keeps money exact.

Amounts are ``Decimal`` on our side and JSON numbers on the wire. The standard library can only
write numbers from floats, so encoding uses orjson, with each ``Decimal`` handed over as an
already-written JSON fragment of its own digits (``Decimal("12.50")`` becomes ``12.50``); orjson is
also about twenty times faster than a pure encoder, which matters on the bulk-upload path.
Decoding uses the standard library: every JSON number with a fraction or exponent becomes
``Decimal`` and integers stay ``int`` (orjson can only decode fractions to float).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson

_decoder = json.JSONDecoder(parse_float=Decimal)


def _encode_other(value: Any) -> orjson.Fragment:
    """Hook for types orjson does not know: ``Decimal`` digit for digit, nothing else."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return orjson.Fragment(str(value))
    raise TypeError(f"cannot write {type(value).__name__} as JSON: {value!r}")


def _big_ints_as_fragments(value: Any) -> Any:
    """A copy of ``value`` with integers beyond orjson's 64-bit range as written fragments."""
    if isinstance(value, dict):
        return {key: _big_ints_as_fragments(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_big_ints_as_fragments(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and not _I64 <= value <= _U64:
        return orjson.Fragment(str(value))
    return value


_I64, _U64 = -(2**63), 2**64 - 1


def dumps(data: Any, *, sort_keys: bool = False) -> bytes:
    """Serialise ``data`` to compact UTF-8 JSON, writing ``Decimal`` values exactly.

    Integers of any size are written (JSON has no limit; a value the server kept in ``extra`` must
    survive a round trip). ``sort_keys`` writes object keys in order (a canonical form, for
    digests). Raises ``ValueError`` for a non-finite number, ``TypeError`` for a value JSON cannot
    hold.
    """
    option = orjson.OPT_SORT_KEYS if sort_keys else 0
    try:
        return orjson.dumps(data, default=_encode_other, option=option)
    except orjson.JSONEncodeError as exc:
        error = exc
    if not isinstance(error.__cause__, TypeError | ValueError):
        # One of orjson's own limits, such as an integer beyond 64 bits: write those as fragments
        # and try again (rare, so the copy of the whole value is paid only then).
        try:
            return orjson.dumps(_big_ints_as_fragments(data), default=_encode_other, option=option)
        except orjson.JSONEncodeError as again:
            error = again
    cause = error.__cause__
    if isinstance(cause, TypeError | ValueError):
        raise cause from None  # raised by _encode_other, and it says what
    raise ValueError(f"cannot write as JSON: {error}") from None


def loads(data: bytes | str) -> Any:
    """Parse JSON text; fractional numbers become ``Decimal``, integers stay ``int``."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    return _decoder.decode(text)
