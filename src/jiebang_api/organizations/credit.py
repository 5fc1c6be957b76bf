"""Serious-dishonesty records (Art. 15, rule R-ELIG-NO-DISHONESTY) — pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Protocol

from jiebang_api.kit.labels import labelled


@labelled({"serious_dishonesty": ("严重失信行为", "Serious dishonesty")})
class CreditRecordKind(StrEnum):
    SERIOUS_DISHONESTY = "serious_dishonesty"


class Period(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def starts_on(self) -> date: ...
    @property
    def ends_on(self) -> date | None: ...


def is_active(record: Period, on_date: date) -> bool:
    """A record binds from `starts_on` through `ends_on` inclusive (open-ended when None)."""
    return record.starts_on <= on_date and (record.ends_on is None or on_date <= record.ends_on)


def has_active_dishonesty(records: Iterable[Period], on_date: date) -> bool:
    """Whether any serious-dishonesty record binds the organisation on `on_date`."""
    return any(
        r.kind == CreditRecordKind.SERIOUS_DISHONESTY and is_active(r, on_date) for r in records
    )
