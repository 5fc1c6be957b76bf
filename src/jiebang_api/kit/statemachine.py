"""A small explicit state machine: one transition table per aggregate."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from jiebang_api.kit.errors import InvalidTransition

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


class StateMachine(Generic[S, A]):
    """`(state, action) -> next state`; anything not in the table is an invalid transition."""

    def __init__(
        self,
        aggregate: str,
        transitions: Mapping[tuple[S, A], S],
        *,
        operations: Mapping[A, str] | None = None,
        internal: Collection[A] = (),
    ) -> None:
        """`operations` names the API operation of an action where the two differ (several
        actions may share one, e.g. `screen_pass` and `screen_fail` are `screen`).
        `internal` actions are taken by other use cases or the system (a listing fails when
        its recommendation is confirmed empty): no client operation offers them."""
        self.aggregate = aggregate
        self._transitions = dict(transitions)
        self._operations = dict(operations or {})
        self._internal = frozenset(internal)

    def allowed_actions(self, state: S) -> list[A]:
        """Actions the table allows from `state`, in table order."""
        return [action for (source, action) in self._transitions if source == state]

    def allowed_operations(self, state: S) -> list[str]:
        """The operations a client may call from `state`: the allowed actions by their
        operation names, each once, in table order (internal actions left out)."""
        names = (
            self._operations.get(a, a.value)
            for a in self.allowed_actions(state)
            if a not in self._internal
        )
        return list(dict.fromkeys(names))

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
                allowed=self.allowed_operations(state),
            ) from None

    def states(self) -> set[S]:
        """Every state that appears in the table."""
        return {s for (s, _) in self._transitions} | set(self._transitions.values())
