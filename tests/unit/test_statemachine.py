"""The table-driven state machine and the InvalidTransition it raises."""

from __future__ import annotations

from enum import StrEnum

import pytest

from jiebang_api.kit.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    InvalidTransition,
)
from jiebang_api.kit.statemachine import StateMachine


class Door(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    LOCKED = "locked"
    BROKEN = "broken"  # terminal: only ever a target


class DoorAction(StrEnum):
    OPEN = "open_it"
    CLOSE = "close_it"
    LOCK = "lock_it"
    UNLOCK = "unlock_it"
    SMASH = "smash_it"


TABLE = {
    (Door.CLOSED, DoorAction.OPEN): Door.OPEN,
    (Door.CLOSED, DoorAction.LOCK): Door.LOCKED,
    (Door.CLOSED, DoorAction.SMASH): Door.BROKEN,
    (Door.OPEN, DoorAction.CLOSE): Door.CLOSED,
    (Door.LOCKED, DoorAction.UNLOCK): Door.CLOSED,
    (Door.LOCKED, DoorAction.SMASH): Door.BROKEN,
}


@pytest.fixture
def door() -> StateMachine[Door, DoorAction]:
    return StateMachine("door", TABLE)


@pytest.mark.parametrize(("state", "action"), list(TABLE))
def test_allowed_transitions_reach_their_target(
    door: StateMachine[Door, DoorAction], state: Door, action: DoorAction
) -> None:
    assert door.can(state, action)
    assert door.next_state(state, action) is TABLE[(state, action)]


FORBIDDEN = [(s, a) for s in Door for a in DoorAction if (s, a) not in TABLE]


def test_forbidden_table_is_not_trivial() -> None:
    assert len(FORBIDDEN) == len(Door) * len(DoorAction) - len(TABLE) == 14


@pytest.mark.parametrize(("state", "action"), FORBIDDEN)
def test_forbidden_transitions_raise(
    door: StateMachine[Door, DoorAction], state: Door, action: DoorAction
) -> None:
    assert not door.can(state, action)
    with pytest.raises(InvalidTransition) as caught:
        door.next_state(state, action)
    error = caught.value
    assert error.state == state.value
    assert error.action == action.value
    assert error.allowed == tuple(a.value for (s, a) in TABLE if s == state)
    assert error.extensions == {
        "current_state": state.value,
        "allowed_actions": list(error.allowed),
    }


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (Door.CLOSED, [DoorAction.OPEN, DoorAction.LOCK, DoorAction.SMASH]),  # table order
        (Door.OPEN, [DoorAction.CLOSE]),
        (Door.LOCKED, [DoorAction.UNLOCK, DoorAction.SMASH]),
        (Door.BROKEN, []),
    ],
)
def test_allowed_actions_in_table_order(
    door: StateMachine[Door, DoorAction], state: Door, expected: list[DoorAction]
) -> None:
    assert door.allowed_actions(state) == expected


@pytest.mark.parametrize(
    ("state", "action", "zh", "en"),
    [
        (
            Door.LOCKED,
            DoorAction.OPEN,
            "door 当前状态为 locked，不能执行 open_it；允许的操作：unlock_it, smash_it。",
            "door is locked; open_it is not allowed. Allowed actions: unlock_it, smash_it.",
        ),
        (
            Door.OPEN,
            DoorAction.LOCK,
            "door 当前状态为 open，不能执行 lock_it；允许的操作：close_it。",
            "door is open; lock_it is not allowed. Allowed actions: close_it.",
        ),
        (
            Door.BROKEN,
            DoorAction.OPEN,
            "door 当前状态为 broken，不能执行 open_it；允许的操作：—。",
            "door is broken; open_it is not allowed. Allowed actions: —.",
        ),
    ],
)
def test_error_message_names_state_and_allowed_actions(
    door: StateMachine[Door, DoorAction], state: Door, action: DoorAction, zh: str, en: str
) -> None:
    with pytest.raises(InvalidTransition) as caught:
        door.next_state(state, action)
    assert caught.value.detail.zh == zh
    assert caught.value.detail.en == en
    assert str(caught.value) == en


def test_invalid_transition_is_a_conflict_with_its_own_code(
    door: StateMachine[Door, DoorAction],
) -> None:
    with pytest.raises(InvalidTransition) as caught:
        door.next_state(Door.OPEN, DoorAction.OPEN)
    assert isinstance(caught.value, Conflict)
    assert isinstance(caught.value, DomainError)
    assert caught.value.instance_code is ErrorCode.INVALID_TRANSITION
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_states_include_target_only_states(door: StateMachine[Door, DoorAction]) -> None:
    assert door.states() == {Door.OPEN, Door.CLOSED, Door.LOCKED, Door.BROKEN}
    assert StateMachine("door", {(Door.OPEN, DoorAction.CLOSE): Door.CLOSED}).states() == {
        Door.OPEN,
        Door.CLOSED,
    }


def test_table_is_copied_at_construction() -> None:
    table = dict(TABLE)
    machine = StateMachine("door", table)
    table[(Door.BROKEN, DoorAction.OPEN)] = Door.OPEN
    del table[(Door.OPEN, DoorAction.CLOSE)]
    assert not machine.can(Door.BROKEN, DoorAction.OPEN)
    assert machine.next_state(Door.OPEN, DoorAction.CLOSE) is Door.CLOSED


def test_empty_machine_allows_nothing() -> None:
    machine: StateMachine[Door, DoorAction] = StateMachine("door", {})
    assert machine.states() == set()
    with pytest.raises(InvalidTransition, match="Allowed actions: —"):
        machine.next_state(Door.OPEN, DoorAction.CLOSE)


def test_operations_name_actions_once_and_errors_name_operations() -> None:
    named = StateMachine(
        "door", TABLE, operations={DoorAction.OPEN: "handle", DoorAction.LOCK: "handle"}
    )
    assert named.allowed_operations(Door.CLOSED) == ["handle", "smash_it"]
    assert named.allowed_operations(Door.BROKEN) == []
    with pytest.raises(InvalidTransition) as caught:
        named.next_state(Door.CLOSED, DoorAction.CLOSE)
    assert caught.value.allowed == ("handle", "smash_it")


def test_internal_actions_are_allowed_but_offered_as_no_operation() -> None:
    machine = StateMachine("door", TABLE, internal={DoorAction.SMASH})
    assert machine.can(Door.LOCKED, DoorAction.SMASH)
    assert machine.next_state(Door.LOCKED, DoorAction.SMASH) is Door.BROKEN
    assert machine.allowed_actions(Door.LOCKED) == [DoorAction.UNLOCK, DoorAction.SMASH]
    assert machine.allowed_operations(Door.LOCKED) == ["unlock_it"]
    with pytest.raises(InvalidTransition) as caught:
        machine.next_state(Door.LOCKED, DoorAction.OPEN)
    assert caught.value.allowed == ("unlock_it",)
