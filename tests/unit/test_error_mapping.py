"""Every non-2xx status maps to its typed error with the API's message, code and field errors."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

from confirma_async import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConfirmaClient,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    UnprocessableEntityError,
)

from .conftest import url

ERROR_BODY = {
    "code": "VALIDATION_ERROR",
    "message": "Invoice is invalid",
    "errors": [{"field": "invoice.header.currencyCode", "message": "unknown currency"}],
}


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (418, APIStatusError),
    ],
)
async def test_status_maps_to_typed_error_with_body_details(
    mocked: aioresponses, client: ConfirmaClient, status: int, error_class: type[APIStatusError]
) -> None:
    mocked.post(url("/invoice"), status=status, payload=ERROR_BODY, headers={"X-Request-Id": "r-1"})

    with pytest.raises(error_class) as info:
        await client.transport.request("POST", "/invoice", json={})

    err = info.value
    assert type(err) is error_class
    assert err.status == status
    assert err.code == "VALIDATION_ERROR"
    assert err.message == "Invoice is invalid"
    assert err.field_errors == {"invoice.header.currencyCode": "unknown currency"}
    assert err.request_id == "r-1"
    assert err.body == ERROR_BODY
    assert "invoice.header.currencyCode" in str(err)
    assert err.outcome_unknown is False


async def test_401_that_survives_renewal_raises_authentication_error(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), status=401, payload={"message": "Unauthorized"}, repeat=True)
    mocked.get(url("/renew"), status=401, body="denied")

    with pytest.raises(AuthenticationError) as info:
        await client.transport.request("GET", "/payments")

    assert info.value.status == 401


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_on_post_is_server_error_with_unknown_outcome(
    mocked: aioresponses, client: ConfirmaClient, status: int
) -> None:
    mocked.post(url("/invoice"), status=status, body="<html>Bad gateway</html>")

    with pytest.raises(ServerError) as info:
        await client.transport.request("POST", "/invoice", json={})

    assert info.value.status == status
    assert info.value.outcome_unknown is True
    assert info.value.message == "<html>Bad gateway</html>"
    assert info.value.body == "<html>Bad gateway</html>"


async def test_429_is_rate_limit_error(mocked: aioresponses, client: ConfirmaClient) -> None:
    for _ in range(client.config.max_retries + 1):
        mocked.get(url("/payments"), status=429, headers={"Retry-After": "0"})

    with pytest.raises(RateLimitError) as info:
        await client.transport.request("GET", "/payments")

    assert info.value.status == 429
    assert info.value.retry_after == 0.0


async def test_non_json_error_body_becomes_the_message(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/invoice/case"), status=404, body="Not Found", content_type="text/plain")

    with pytest.raises(NotFoundError) as info:
        await client.transport.request("GET", "/invoice/case")

    assert info.value.message == "Not Found"
    assert info.value.code is None
    assert info.value.field_errors == {}


async def test_empty_error_body_uses_the_http_reason(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/invoice/case"), status=404, body="", reason="Not Found")

    with pytest.raises(NotFoundError) as info:
        await client.transport.request("GET", "/invoice/case")

    assert info.value.message == "Not Found"


async def test_field_errors_as_mapping_and_alternative_keys_are_read(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    body = {"Message": "Bad", "errorCode": "E1", "fieldErrors": {"client.email": ["invalid"]}}
    mocked.post(url("/client"), status=400, payload=body)

    with pytest.raises(BadRequestError) as info:
        await client.transport.request("POST", "/client", json={})

    assert (info.value.message, info.value.code) == ("Bad", "E1")
    assert info.value.field_errors == {"client.email": "invalid"}


async def test_2xx_non_json_body_is_a_decode_error(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    mocked.get(url("/payments"), status=200, body="<html>login</html>", content_type="text/html")

    with pytest.raises(ResponseDecodeError):
        await client.transport.request("GET", "/payments")


async def test_204_returns_none(mocked: aioresponses, client: ConfirmaClient) -> None:
    mocked.get(url("/accounting/ledger"), status=204)

    assert await client.transport.request("GET", "/accounting/ledger") is None


async def test_amounts_decode_to_decimal_never_float(
    mocked: aioresponses, client: ConfirmaClient
) -> None:
    from decimal import Decimal

    mocked.get(url("/payments"), body='[{"amount": 100.25, "caseId": 7}]')

    data = await client.transport.request("GET", "/payments")

    assert data == [{"amount": Decimal("100.25"), "caseId": 7}]
    assert type(data[0]["amount"]) is Decimal
    assert type(data[0]["caseId"]) is int
