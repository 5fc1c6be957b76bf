"""The facts projects publish (pure). Past tense, one class per fact."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from jiebang_api.events.base import DomainEvent
from jiebang_api.listings.enums import ListingKind
from jiebang_api.projects.workflow import ProjectStatus


@dataclass(frozen=True, kw_only=True)
class ProjectCreated(DomainEvent):
    type: ClassVar[str] = "project.created"
    resource_type: ClassVar[str] = "project"
    summary = (
        "全部签字已齐，项目立项（第九条（八））。",
        "Every signature is in: the project exists (Art. 9 (8)).",
    )

    project_id: uuid.UUID
    code: str
    kind: ListingKind
    agreement_id: uuid.UUID
    application_id: uuid.UUID
    listing_id: uuid.UUID
    status: ProjectStatus


@dataclass(frozen=True, kw_only=True)
class AnnouncementPublished(DomainEvent):
    type: ClassVar[str] = "announcement.published"
    resource_type: ClassVar[str] = "announcement"
    summary = ("揭榜结果已公告。", "The result of the listing was announced.")

    announcement_id: uuid.UUID
    project_id: uuid.UUID
    listing_id: uuid.UUID
