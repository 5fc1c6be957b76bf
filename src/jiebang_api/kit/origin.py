"""Where an imported resource came from (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Origin:
    """An import of the plan management system's: its reference for the resource, and the
    digest of the body it sent (a repeat of the same body changes nothing)."""

    external_ref: str
    digest: str

    def columns(self) -> dict[str, Any]:
        """The columns an imported listing or application carries."""
        return {"external_ref": self.external_ref, "import_digest": self.digest}
