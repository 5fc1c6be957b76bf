"""Every labelled enumeration of the service, for `/api/v1/meta/enums`."""

from __future__ import annotations

from dataclasses import dataclass

from jiebang_api.agreements import enums as _agreements  # noqa: F401

# Imported for their registration side effect: each module labels its enumerations.
from jiebang_api.auth import roles as _roles  # noqa: F401
from jiebang_api.kit import actor as _actor  # noqa: F401
from jiebang_api.kit import errors as _errors  # noqa: F401
from jiebang_api.kit.labels import registered
from jiebang_api.listings import enums as _listings  # noqa: F401
from jiebang_api.organizations import enums as _organizations  # noqa: F401


@dataclass(frozen=True)
class EnumValue:
    value: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Enumeration:
    name: str
    values: list[EnumValue]


def enumerations() -> list[Enumeration]:
    """All registered enumerations, sorted by name, values in declaration order."""
    result = []
    for name, (enum, labels) in sorted(registered().items()):
        values = [EnumValue(m.value, labels[m.value].zh, labels[m.value].en) for m in enum]
        result.append(Enumeration(name=name, values=values))
    return result
