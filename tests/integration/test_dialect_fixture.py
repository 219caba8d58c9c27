"""The ``dialect`` fixture: a test asking for it gets that sandbox dialect and the aliases."""

from __future__ import annotations

from confirma_async import ConfirmaClient, WireAliases
from confirma_async.testing import DialectName, Sandbox

from .conftest import ALTERNATE_ALIASES, aliases_for


async def test_a_test_asking_for_a_dialect_gets_that_sandbox_and_the_aliases_it_needs(
    dialect: DialectName, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    assert confirma_sandbox.config.dialect == dialect
    assert confirma_sandbox.config.distribution_failure_rate == 0  # the module's config, kept
    assert list(confirma_client.wire_aliases) == aliases_for(dialect)


async def test_a_test_not_asking_stays_on_the_reference_dialect_without_aliases(
    confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    assert confirma_sandbox.config.dialect == "reference"
    assert len(confirma_client.wire_aliases) == 0


def test_every_alternate_alias_is_accepted_as_written() -> None:
    assert WireAliases(ALTERNATE_ALIASES).specs() == ALTERNATE_ALIASES
