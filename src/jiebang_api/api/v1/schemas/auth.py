"""Bodies of accounts, tokens and service clients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from jiebang_api.api.schema_extras import labels_of, values, when
from jiebang_api.api.v1.schemas.base import (
    NO_NUL,
    RequestBody,
    ResponseBody,
    optional,
)
from jiebang_api.auth.password_policy import MIN_LENGTH, USERNAME_PATTERN
from jiebang_api.auth.principal import MembershipRole
from jiebang_api.auth.roles import Role

# No whitespace nor NUL. NEL (\x85) is spelled out: Python's and Rust's `\s` hold it, but
# JSON Schema's (ECMA-262) does not, so clients would send it as valid.
EMAIL = r"^[^@\s\x00\x85]{1,64}@[^@\s\x00\x85]{1,189}\.[^@\s\x00\x85]{1,63}$"


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
# An expert: the one kind of account with an affiliation (for conflicts of interest).
EXAMPLE_EXPERT: JsonDict = {
    "id": "8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f",
    "username": "expert.li",
    "display_name": "李专家",
    "email": "li@example.com",
    "roles": ["expert"],
    "affiliation_org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
    "is_active": True,
    "created_at": "2026-11-28T08:00:00Z",
}
EXAMPLE_SERVICE_CLIENT: JsonDict = {
    "id": "0b5d2a8e-3c1f-4a8b-9e7d-6f5a4b3c2d1e",
    "client_id": "svc_1a2b3c4d5e6f7a8b",
    "name": "科技计划管理系统",
    "roles": ["integration"],
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
    password: str = Field(
        min_length=MIN_LENGTH,
        max_length=128,
        description=f"At least {MIN_LENGTH} characters, and not the username.",
    )
    display_name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(None, max_length=254, pattern=EMAIL)


AssignableRole = Literal["admin", "expert", "agency"]


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
                    "affiliation_org_id": EXAMPLE_EXPERT["affiliation_org_id"],
                }
            ]
        }
    )

    roles: list[AssignableRole] = Field(
        default_factory=list,
        max_length=3,
        json_schema_extra=values(labels_of(Role, get_args(AssignableRole))),
    )
    affiliation_org_id: uuid.UUID | None = Field(
        None, description="Experts: the organisation they work for (conflicts of interest)."
    )


class UserOut(ResponseBody):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_EXPERT]}
    )

    id: uuid.UUID
    username: str
    display_name: str
    email: str | None
    roles: list[Role]
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
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_SERVICE_CLIENT]}
    )

    id: uuid.UUID
    client_id: str
    name: str
    roles: list[Role]
    is_active: bool
    created_at: datetime


class ServiceClientCreated(ServiceClientOut):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{**EXAMPLE_SERVICE_CLIENT, "client_secret": "shown-once-store-it-safely"}]
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
                },
                {
                    "kind": "service",
                    "user": None,
                    "service_client": EXAMPLE_SERVICE_CLIENT,
                    "roles": ["integration"],
                    "memberships": [],
                },
            ]
        }
    )

    kind: Literal["user", "service"] = Field(
        json_schema_extra=values(
            {"user": ("用户", "A person"), "service": ("服务客户端", "A service client")}
        )
    )
    user: UserOut | None
    service_client: ServiceClientOut | None
    roles: list[Role]
    memberships: list[MembershipOut]


GrantType = Literal["password", "client_credentials"]


def _needs(*fields: str) -> JsonDict:
    return {"required": list(fields), "properties": {f: {"type": "string"} for f in fields}}


class TokenRequest(BaseModel):
    """The token endpoint's form (OAuth2, RFC 6749 §4.3 and §4.4). Unknown fields (`scope`,
    …) are ignored, as OAuth2 clients send them; what each grant needs is stated in the schema
    (`if`/`then`/`else`), so a client knows it before it asks."""

    model_config = ConfigDict(
        json_schema_extra=when(
            "grant_type",
            "password",
            then=_needs("username", "password"),
            otherwise=_needs("client_id", "client_secret"),
        )
    )

    grant_type: GrantType = Field(
        description="`password` (a person) or `client_credentials` (a service client)."
    )
    username: str = optional(
        min_length=1, max_length=64, pattern=NO_NUL, description="`password` grant: required."
    )
    password: str = optional(
        min_length=1, max_length=128, pattern=NO_NUL, description="`password` grant: required."
    )
    client_id: str = optional(
        min_length=1,
        max_length=64,
        pattern=NO_NUL,
        description="`client_credentials` grant: required.",
    )
    client_secret: str = optional(
        min_length=1,
        max_length=128,
        pattern=NO_NUL,
        description="`client_credentials` grant: required.",
    )


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
