"""Bodies of the operations endpoints (health, readiness), apart from the routers so that
the problem documents can name them too."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jiebang_api.api.schema_extras import values


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
    status: Literal["ready", "not_ready"] = Field(
        json_schema_extra=values({"ready": ("就绪", "Ready"), "not_ready": ("未就绪", "Not ready")})
    )
    database: Literal["ok", "unreachable"] = Field(
        json_schema_extra=values(
            {"ok": ("可用", "Reachable"), "unreachable": ("不可达", "Unreachable")}
        )
    )
    current_revision: str | None
    head_revision: str | None
