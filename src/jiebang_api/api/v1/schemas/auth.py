"""Bodies of accounts, tokens and service clients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from jiebang_api.api.v1.schemas.base import RequestBody, ResponseBody
from jiebang_api.auth.password_policy import USERNAME_PATTERN
from jiebang_api.auth.principal import MembershipRole

EMAIL = r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$"


EXAMPLE_USER: JsonDict = {
    "id": "4f8e1c8a-7a55-4d5b-9a43-2f0d8e1b6c11",
    "username": "zhang.wei",
    "display_name": "张伟",
    "email": "zhang.wei@example.com",
    "roles": [],
    "affiliation_org_id": None,
    "is_active": True,
    "created_at": "2026-11-28T08:00:00Z",
}


class RegisterIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "zhang.wei",
                    "password": "correct-horse-battery",
                    "display_name": "张伟",
                    "email": "zhang.wei@example.com",
                }
            ]
        }
    )

    username: str = Field(
        pattern=USERNAME_PATTERN, description="3–64 letters, digits, `_`, `.`, `-`."
    )
    password: str = Field(min_length=1, max_length=128, description="At least 10 characters.")
    display_name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(None, max_length=254, pattern=EMAIL)


class UserCreateIn(RegisterIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "expert.li",
                    "password": "a-long-initial-secret",
                    "display_name": "李专家",
                    "email": "li@example.com",
                    "roles": ["expert"],
                    "affiliation_org_id": None,
                }
            ]
        }
    )

    roles: list[Literal["admin", "expert", "agency"]] = Field(default_factory=list, max_length=3)
    affiliation_org_id: uuid.UUID | None = Field(
        None, description="Experts: the organisation they work for (conflicts of interest)."
    )


class UserOut(ResponseBody):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [EXAMPLE_USER]})

    id: uuid.UUID
    username: str
    display_name: str
    email: str | None
    roles: list[str]
    affiliation_org_id: uuid.UUID | None
    is_active: bool
    created_at: datetime


class MembershipOut(ResponseBody):
    organization_id: uuid.UUID
    organization_name: str
    role: MembershipRole


class ServiceClientIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "科技计划管理系统"}]})

    name: str = Field(min_length=1, max_length=100)


class ServiceClientOut(ResponseBody):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0b5d2a8e-3c1f-4a8b-9e7d-6f5a4b3c2d1e",
                    "client_id": "svc_1a2b3c4d5e6f7a8b",
                    "name": "科技计划管理系统",
                    "roles": ["integration"],
                    "is_active": True,
                    "created_at": "2026-11-28T08:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    client_id: str
    name: str
    roles: list[str]
    is_active: bool
    created_at: datetime


class ServiceClientCreated(ServiceClientOut):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0b5d2a8e-3c1f-4a8b-9e7d-6f5a4b3c2d1e",
                    "client_id": "svc_1a2b3c4d5e6f7a8b",
                    "client_secret": "shown-once-store-it-safely",
                    "name": "科技计划管理系统",
                    "roles": ["integration"],
                    "is_active": True,
                    "created_at": "2026-11-28T08:00:00Z",
                }
            ]
        },
    )

    client_secret: str = Field(description="Shown once; only its hash is stored.")


class MeOut(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "user",
                    "user": EXAMPLE_USER,
                    "service_client": None,
                    "roles": ["org_member"],
                    "memberships": [
                        {
                            "organization_id": "9d1f0c7e-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
                            "organization_name": "内蒙古某某稀土新材料有限公司",
                            "role": "manager",
                        }
                    ],
                }
            ]
        }
    )

    kind: Literal["user", "service"]
    user: UserOut | None
    service_client: ServiceClientOut | None
    roles: list[str]
    memberships: list[MembershipOut]


class TokenOut(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIs…",
                    "token_type": "bearer",
                    "expires_in": 1800,
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds until the token expires.")
