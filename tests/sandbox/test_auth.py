"""Authentication as the real API would do it: 401, 403, validate, renew, expiry."""

from __future__ import annotations

from datetime import timedelta

from confirma_async.testing import Sandbox, sample_client, sample_invoice

from .conftest import Api

PROTECTED = [
    ("POST", "/invoice"),
    ("POST", "/invoice/action"),
    ("GET", "/invoice/case"),
    ("GET", "/invoice/distribution"),
    ("GET", "/payments"),
    ("GET", "/settlements"),
    ("POST", "/accounting/ledger"),
    ("GET", "/accounting/ledger"),
    ("POST", "/accounting/payment"),
    ("GET", "/accounting/payment"),
    ("GET", "/accounting/invoice"),
    ("POST", "/client"),
    ("GET", "/validate"),
    ("GET", "/renew"),
]


async def test_every_endpoint_answers_401_without_the_header(api: Api) -> None:
    for method, path in PROTECTED:
        reply = await api.call(method, path, {} if method == "POST" else None, token=None)
        assert reply.status == 401, (method, path)
        assert reply.body["code"] == "UNAUTHORIZED"


async def test_unknown_token_is_401_everywhere(api: Api) -> None:
    for method, path in PROTECTED:
        body = {} if method == "POST" else None
        reply = await api.call(method, path, body, token="sbx_client_not-a-token")
        assert reply.status == 401, (method, path)


async def test_auth_is_checked_before_the_body(api: Api) -> None:
    reply = await api.call("POST", "/invoice", raw=b"not json", token=None)
    assert reply.status == 401


async def test_partner_token_is_forbidden_on_client_endpoints(api: Api) -> None:
    reply = await api.post("/invoice", sample_invoice(1), token=api.sandbox.partner_token)
    assert reply.status == 403


async def test_client_token_is_forbidden_on_create_client(api: Api) -> None:
    reply = await api.post("/client", sample_client())
    assert reply.status == 403


async def test_create_client_returns_a_working_token(api: Api) -> None:
    reply = await api.post("/client", sample_client("Acme Oy"), token=api.sandbox.partner_token)
    assert reply.status == 201
    assert set(reply.body) == {
        "clientId",
        "customerCode",
        "paymentReferencePrefix",
        "accessToken",
        "expiresAt",
    }
    token = reply.body["accessToken"]
    created = await api.post("/invoice", sample_invoice(77), token=token)
    assert created.status == 201
    # Invoices belong to the client: the seeded client does not see it.
    assert api.sandbox.state.accepted_count(77) == 0
    assert api.sandbox.state.accepted_count(77, reply.body["clientId"]) == 1


async def test_validate_reports_expired_tokens_with_200(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    token = confirma_sandbox.create_token(
        expires_at=confirma_sandbox.clock.now() + timedelta(hours=1)
    )
    ok = await api.call("GET", "/validate", token=token)
    assert (ok.status, ok.body) == (200, {"isValid": True, "message": "Token is valid"})
    confirma_sandbox.advance(timedelta(hours=1))
    expired = await api.call("GET", "/validate", token=token)
    assert (expired.status, expired.body["isValid"]) == (200, False)
    used = await api.call("GET", "/payments", token=token)
    assert used.status == 401


async def test_renew_issues_a_new_token_and_revokes_the_old(api: Api) -> None:
    old = api.sandbox.client_token
    reply = await api.call("GET", "/renew", token=old)
    assert reply.status == 200
    new = reply.body["Message"]
    assert new != old
    assert "expiresAt" in reply.body
    assert (await api.call("GET", "/payments", token=old)).status == 401
    assert (await api.call("GET", "/validate", token=old)).status == 401
    assert (await api.call("GET", "/payments", token=new)).status == 200


async def test_an_expired_token_may_renew(api: Api, confirma_sandbox: Sandbox) -> None:
    token = confirma_sandbox.create_token(expires_at=confirma_sandbox.clock.now())
    assert (await api.call("GET", "/payments", token=token)).status == 401
    renewed = await api.call("GET", "/renew", token=token)
    assert renewed.status == 200
    assert (await api.call("GET", "/payments", token=renewed.body["Message"])).status == 200


async def test_revoked_token_is_401(api: Api, confirma_sandbox: Sandbox) -> None:
    token = confirma_sandbox.create_token()
    confirma_sandbox.revoke_token(token)
    assert (await api.call("GET", "/renew", token=token)).status == 401


async def test_token_expiry_fault_expires_every_existing_token(
    api: Api, confirma_sandbox: Sandbox
) -> None:
    moment = confirma_sandbox.clock.now() + timedelta(seconds=30)
    confirma_sandbox.expire_tokens_at(moment)
    assert (await api.get("/payments")).status == 200
    confirma_sandbox.advance(timedelta(seconds=30))
    assert (await api.get("/payments")).status == 401
    renewed = await api.call("GET", "/renew")
    assert (await api.call("GET", "/payments", token=renewed.body["Message"])).status == 200
