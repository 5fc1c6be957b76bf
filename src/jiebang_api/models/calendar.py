"""CalendarYear: the department's record of one year's State Council holiday notice (public
holidays and the weekend days worked in lieu), for years the calendar package does not know
yet; where both know a year, this record wins."""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.models.base import Base, Entity


class CalendarYear(Entity, Base):
    __tablename__ = "calendar_year"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),)

    year: Mapped[int] = mapped_column(Integer, unique=True)
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates
    workdays: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates, weekends worked
    document_ref: Mapped[str] = mapped_column(String(200))
    updated_by: Mapped[uuid.UUID | None]
