"""Chinese and English labels for enumerations, collected for `/api/v1/meta/enums`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=type[StrEnum])


@dataclass(frozen=True)
class Label:
    zh: str
    en: str


_REGISTRY: dict[str, tuple[type[StrEnum], dict[str, Label]]] = {}


def labelled(labels: Mapping[str, tuple[str, str]]) -> Callable[[E], E]:
    """Register an enumeration with a `(zh, en)` label for every member; all are required."""

    def register(enum: E) -> E:
        members = {member.value for member in enum}
        missing = members - labels.keys()
        extra = labels.keys() - members
        if missing or extra:
            raise ValueError(f"labels of {enum.__name__}: missing {missing}, unknown {extra}")
        _REGISTRY[enum.__name__] = (enum, {v: Label(*labels[v]) for v in labels})
        return enum

    return register


def registered() -> dict[str, tuple[type[StrEnum], dict[str, Label]]]:
    """Every labelled enumeration by class name, in registration order."""
    return dict(_REGISTRY)


def label_of(member: StrEnum) -> Label:
    """The label of one member of a registered enumeration."""
    return _REGISTRY[type(member).__name__][1][member.value]
