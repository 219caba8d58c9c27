"""Onboarding and token models (``POST /client``, ``GET /validate``, ``GET /renew``).

Wire shapes beyond the documented example follow ``docs/api-assumptions.md`` A19-A21. Every string
of a new-client request is a single line: no control characters (not even tab, CR or LF) and no
bidirectional overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from .._core.wire import RENEW_EXPIRES_KEYS, RENEW_TOKEN_KEYS
from . import _validate as v
from ._fields import extra_field, guessed, raw_body_field, rules
from ._open_enum import OpenStrEnum

__all__ = [
    "ClientDetails",
    "Contact",
    "ContactRole",
    "NewClient",
    "NewClientRequest",
    "RenewedToken",
    "ServiceConfig",
    "ServiceType",
    "TokenValidation",
]


class ServiceType(OpenStrEnum):
    """The Confirma service a new client signs up for (open set; only ``LIFECYCLE`` is seen)."""

    LIFECYCLE = "LIFECYCLE"
    INTERMEDIATION = "INTERMEDIATION"
    DEBT_COLLECTION = "DEBT_COLLECTION"
    CO_OP = "CO_OP"


class ContactRole(OpenStrEnum):
    """The role of a contact person of a new client (open set)."""

    PRIMARY = "PRIMARY"
    TECHNICAL = "TECHNICAL"
    ACCOUNTANT = "ACCOUNTANT"


@attrs.frozen(kw_only=True, slots=True)
class ServiceConfig:
    """The ``service`` section of a new-client request."""

    type: ServiceType
    partner_code: str
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class ClientDetails:
    """The ``client`` section: the creditor's business details.

    ``telephone`` and ``website`` may be empty strings, as in the portal's example.
    """

    name: str
    business_code: str
    vat_reg_nbr: str
    postal_address: str
    postal_code: str
    postal_district: str
    country_code: str = attrs.field(metadata=rules(v.country_code))
    telephone: str = ""
    email: str = attrs.field(metadata=rules(v.email))
    website: str = attrs.field(default="", metadata=rules(v.website))
    language_code: str = attrs.field(metadata=rules(v.language_code))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class Contact:
    """One contact person of a new client (``contacts[]``)."""

    role: ContactRole
    name: str
    email: str = attrs.field(metadata=rules(v.email))
    telephone: str = ""
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class NewClientRequest:
    """Body of ``POST /client``; validated in full when constructed."""

    service: ServiceConfig
    client: ClientDetails
    contacts: list[Contact] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()

    def __attrs_post_init__(self) -> None:
        v.validate_request(self)


@attrs.frozen(kw_only=True, slots=True)
class NewClient:
    """Answer to ``POST /client``: the new client's identifiers and its first access token.

    The docs say what the answer holds but not its names (A21), so every field is optional;
    :meth:`~confirma_async.resources.onboarding.Onboarding.create_client` never returns one without
    ``access_token`` (it raises :class:`~confirma_async.TokenNotFoundError` instead).
    ``access_token`` and ``raw_body`` are secrets and are left out of the repr.
    """

    client_id: str | None = attrs.field(default=None, metadata=guessed("A21"))
    customer_code: str | None = attrs.field(default=None, metadata=guessed("A21"))
    payment_reference_prefix: str | None = attrs.field(default=None, metadata=guessed("A21"))
    access_token: str | None = attrs.field(
        default=None, repr=False, metadata=guessed("A21", aliases=("token", "access_token"))
    )
    expires_at: datetime | None = attrs.field(default=None, metadata=guessed("A21"))
    extra: Mapping[str, Any] = extra_field()
    raw_body: bytes = raw_body_field()


@attrs.frozen(kw_only=True, slots=True)
class RenewedToken:
    """Answer to ``GET /renew`` (A20): the new access token and, if the server sent one, its expiry.

    The documented example holds only ``Message``; that it carries the token is INFERRED, and the
    other names are ours (read in this order: ``token``, ``accessToken``, ``Message``, ``message``).
    ``token`` is a secret and is left out of the repr.
    """

    token: str | None = attrs.field(
        default=None,
        repr=False,
        metadata=guessed("A20", RENEW_TOKEN_KEYS[0], aliases=RENEW_TOKEN_KEYS[1:]),
    )
    expires_at: datetime | None = attrs.field(
        default=None,
        metadata=guessed("A20", RENEW_EXPIRES_KEYS[0], aliases=RENEW_EXPIRES_KEYS[1:]),
    )
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class TokenValidation:
    """Answer to ``GET /validate``."""

    is_valid: bool
    message: str | None = None
    extra: Mapping[str, Any] = extra_field()
