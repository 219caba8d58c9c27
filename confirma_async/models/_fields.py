"""Field metadata shared by the models, the converter and the request validator.

A model field states its wire contract through ``attrs.field(metadata=...)``:

* ``wire("Message")`` — the wire name when it is not the camelCase of the Python name;
* ``wire(aliases=("events",))`` — older wire names also accepted when decoding;
* ``rules(check, ...)`` — documented request rules (see :mod:`confirma_async.models._validate`).

``extra_field()`` is the last field of every model: undocumented keys, kept on decode and merged
into the JSON object on encode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

WIRE_NAME = "confirma.wire"
WIRE_ALIASES = "confirma.aliases"
WIRE_TYPE = "confirma.wire_type"
WIRE_OMIT_NONE = "confirma.omit_none"
RULES = "confirma.rules"
NULLABLE = "confirma.nullable"

Check = Callable[[str, Any], None]


def camel(name: str) -> str:
    """Return the camelCase wire name of a snake_case Python name."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire(
    name: str | None = None,
    *,
    aliases: tuple[str, ...] = (),
    as_int: bool = False,
    omit_none: bool = False,
) -> dict[str, Any]:
    """Metadata for a field whose wire name is irregular, has aliases, or is a 0/1 flag.

    ``omit_none`` leaves the key out when the value is ``None``: for request fields that are our
    assumption rather than documented, so we never send a key the live API may not know.
    """
    meta: dict[str, Any] = {WIRE_OMIT_NONE: True} if omit_none else {}
    if name is not None:
        meta[WIRE_NAME] = name
    if aliases:
        meta[WIRE_ALIASES] = aliases
    if as_int:
        meta[WIRE_TYPE] = "int_flag"
    return meta


def rules(*checks: Check, nullable: bool = False, **more: Any) -> dict[str, Any]:
    """Metadata attaching request checks to a field (``nullable`` lets ``None`` pass unchecked)."""
    return {RULES: checks, NULLABLE: nullable, **more}


def wire_name(field: attrs.Attribute[Any]) -> str:
    """Return the wire name of an attrs field."""
    name: str = field.metadata.get(WIRE_NAME) or camel(field.name)
    return name


def extra_field() -> Any:
    """Return the ``extra`` field every model ends with (undocumented wire keys).

    It takes part in equality but not in the hash, so flat records stay hashable (de-duplication).
    """
    return attrs.field(factory=dict, hash=False)
