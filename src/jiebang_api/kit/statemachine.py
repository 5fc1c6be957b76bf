"""A small explicit state machine: one transition table per aggregate."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from jiebang_api.kit.errors import InvalidTransition

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


class StateMachine(Generic[S, A]):
    """`(state, action) -> next state`; anything not in the table is an invalid transition."""

    def __init__(self, aggregate: str, transitions: Mapping[tuple[S, A], S]) -> None:
        self.aggregate = aggregate
        self._transitions = dict(transitions)

    def allowed_actions(self, state: S) -> list[A]:
        """Actions the table allows from `state`, in table order."""
        return [action for (source, action) in self._transitions if source == state]

    def can(self, state: S, action: A) -> bool:
        return (state, action) in self._transitions

    def next_state(self, state: S, action: A) -> S:
        """The state after `action`, or `InvalidTransition` naming the allowed actions."""
        try:
            return self._transitions[(state, action)]
        except KeyError:
            raise InvalidTransition(
                aggregate=self.aggregate,
                state=state.value,
                action=action.value,
                allowed=[a.value for a in self.allowed_actions(state)],
            ) from None

    def states(self) -> set[S]:
        """Every state that appears in the table."""
        return {s for (s, _) in self._transitions} | set(self._transitions.values())
