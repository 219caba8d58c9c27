"""JSON encoding and decoding that keeps money exact.

Amounts are ``Decimal`` on our side and JSON numbers on the wire. The standard library can
only write numbers from floats, so encoding uses simplejson, which writes a ``Decimal`` digit
for digit (``Decimal("12.50")`` becomes ``12.50``). Decoding turns every JSON number with a
fraction or exponent into ``Decimal`` and leaves integers as ``int``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import simplejson

_decoder = json.JSONDecoder(parse_float=Decimal)


# One encoder, built once: simplejson.dumps with options builds a new one on every call.
_encoder = simplejson.JSONEncoder(
    use_decimal=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def dumps(data: Any) -> bytes:
    """Serialise ``data`` to compact UTF-8 JSON, writing ``Decimal`` values exactly."""
    text: str = _encoder.encode(data)
    return text.encode("utf-8")


def loads(data: bytes | str) -> Any:
    """Parse JSON text; fractional numbers become ``Decimal``, integers stay ``int``."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    return _decoder.decode(text)
