"""Who may read an attachment, asked of the domains that link attachments.

Each domain whose resources link attachments (listings, applications, …) registers one
reader for its resource type, from `jiebang_api.wiring`; attachments never import them.
A reader answers whether the caller may read some resource of that type linking the file.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.auth.principal import Principal

Reader = Callable[[AsyncSession, Principal, uuid.UUID, datetime], Awaitable[bool]]

_readers: dict[str, Reader] = {}


def register(resource_type: str, reader: Reader) -> None:
    """The reader for attachments linked from `resource_type` (one per type)."""
    _readers[resource_type] = reader


async def any_may_read(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> bool:
    """Whether some linking resource, of any registered type, is readable by the caller."""
    for reader in _readers.values():
        if await reader(session, principal, attachment_id, now):
            return True
    return False
