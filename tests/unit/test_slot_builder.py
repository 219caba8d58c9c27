"""``_core.slots.slot_builder``: the same object as ``__init__`` builds, or no builder at all."""

from __future__ import annotations

import attrs

from confirma_async import BatchResult, BatchStatus
from confirma_async._core.slots import slot_builder
from confirma_async.batch.jobs import _new_result


@attrs.frozen(slots=True)
class Plain:
    a: int
    b: str = "x"


@attrs.frozen(slots=True)
class Validated:
    a: int = attrs.field(validator=attrs.validators.instance_of(int))


@attrs.frozen(slots=True)
class WithPostInit:
    a: int

    def __attrs_post_init__(self) -> None:
        pass


@attrs.frozen(slots=False)
class Dicted:
    a: int


def test_a_built_object_equals_the_one_init_builds() -> None:
    build = slot_builder(Plain, ["a", "b"])
    assert build is not None
    built = build(1, "y")
    assert type(built) is Plain
    assert built == Plain(1, "y")
    assert repr(built) == repr(Plain(1, "y"))


def test_no_builder_for_a_class_that_runs_code_at_construction() -> None:
    assert slot_builder(Validated, ["a"]) is None
    assert slot_builder(WithPostInit, ["a"]) is None


def test_no_builder_for_a_class_without_slots_or_for_other_names() -> None:
    assert slot_builder(Dicted, ["a"]) is None
    assert slot_builder(Plain, ["b", "a"]) is None
    assert slot_builder(Plain, ["a"]) is None


def test_batch_results_are_built_by_their_slots_and_equal_the_init_result() -> None:
    error = ValueError("boom")
    values = ({"n": 1}, 7, 3, BatchStatus.FAILED, None, error, 2, 1, 0.5, True, False, None)
    built = _new_result(*values)
    assert _new_result.__name__ == "build"  # the slot builder, not the __init__ fallback
    assert built == BatchResult(
        item={"n": 1},
        key=7,
        index=3,
        status=BatchStatus.FAILED,
        error=error,
        attempts=2,
        lookups=1,
        elapsed=0.5,
        outcome_unknown=True,
    )
