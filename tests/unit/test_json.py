"""The JSON layer: exact money on the way out, Decimal on the way in, clear errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from confirma_async._core.json import dumps, loads


def test_decimals_are_written_digit_for_digit() -> None:
    assert dumps({"a": Decimal("12.50"), "b": Decimal("0.10")}) == b'{"a":12.50,"b":0.10}'


def test_output_is_compact_utf8() -> None:
    assert dumps({"name": "Meikäläinen", "n": [1, None, True]}) == (
        '{"name":"Meikäläinen","n":[1,null,true]}'.encode()
    )


def test_integers_beyond_64_bits_are_written_in_full() -> None:
    assert dumps({"x": [2**70, -(2**64), 5]}) == (
        b'{"x":[1180591620717411303424,-18446744073709551616,5]}'
    )


def test_non_finite_decimal_is_refused_with_its_value() -> None:
    with pytest.raises(ValueError, match="NaN is not a JSON number"):
        dumps({"amount": Decimal("NaN")})


def test_unknown_type_is_refused_naming_the_type() -> None:
    with pytest.raises(TypeError, match="cannot write object as JSON"):
        dumps({"x": object()})


def test_fractions_decode_to_decimal_and_integers_to_int() -> None:
    data = loads(b'{"a":12.50,"b":3,"c":1e2}')
    assert data == {"a": Decimal("12.50"), "b": 3, "c": Decimal("1e2")}
    assert type(data["b"]) is int
    assert str(data["a"]) == "12.50"


def test_round_trip_keeps_every_digit() -> None:
    text = b'{"amount":1234567890.123456789,"big":123456789012345678901234567890}'
    assert dumps(loads(text)) == text


def test_a_non_string_key_is_refused() -> None:
    with pytest.raises(ValueError, match="Dict key must be str"):
        dumps({1: "one"})
