"""Bodies of the operations endpoints (health, readiness), apart from the routers so that
the problem documents can name them too."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class HealthOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: Literal["ok"]


class ReadinessOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "database": "ok",
                    "current_revision": "20261128_0001",
                    "head_revision": "20261128_0001",
                }
            ]
        }
    )
    status: Literal["ready", "not_ready"]
    database: Literal["ok", "unreachable"]
    current_revision: str | None
    head_revision: str | None
