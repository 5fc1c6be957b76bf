"""ORM tables, one module per aggregate. Importing this package registers all of them."""

from jiebang_api.models.audit import AuditEntry
from jiebang_api.models.base import Base, Entity
from jiebang_api.models.event import Event
from jiebang_api.models.sandbox import SandboxClock

__all__ = ["AuditEntry", "Base", "Entity", "Event", "SandboxClock"]
