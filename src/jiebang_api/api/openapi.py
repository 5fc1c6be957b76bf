"""The OpenAPI document: generated from the routes, then finished in one place.

The committed `openapi/openapi.yaml` must equal what this produces
(`jiebang-api export-openapi --check`, and a contract test).
"""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter

from jiebang_api import wiring
from jiebang_api.api.problems import PROBLEM_MEDIA_TYPE, Problem, problems
from jiebang_api.events.base import DomainEvent

API_VERSION = "1.0.0"
TITLE = "jiebang-api"
DESCRIPTION = """\
内蒙古自治区科技计划“揭榜挂帅”项目全流程管理接口：榜单征集与发布、揭榜申请、评审、
协商签约、公示、资金拨付、实施与验收。

REST API of Inner Mongolia's "揭榜挂帅" (open competition) science-and-technology
programme. Errors are RFC 9457 problem documents (`application/problem+json`) with a stable
`code`; send `Accept-Language: en` for English messages (Chinese is the default). Money is a
decimal string in CNY. Every response carries `X-Request-ID`.
"""

TAGS: list[dict[str, str]] = [
    {"name": "auth", "description": "注册与令牌 / Registration and access tokens."},
    {"name": "users", "description": "账户与对接客户端 / Accounts and service clients."},
    {
        "name": "organizations",
        "description": "单位、成员与信用记录 / Organisations, members and credit records.",
    },
    {
        "name": "listings",
        "description": "榜单征集、论证、确认与发布 / Listings: collection to publication.",
    },
    {
        "name": "public",
        "description": "公开榜单目录（无需登录）/ The public catalogue (anonymous).",
    },
    {"name": "operations", "description": "健康检查与监控 / Health, readiness and metrics."},
    {
        "name": "events",
        "description": "领域事件（变更推送与订阅的载荷）/ Domain events: the payloads of the "
        "change feed and webhooks.",
    },
    {"name": "meta", "description": "枚举与参考数据 / Enumerations and reference data."},
    {
        "name": "sandbox",
        "description": "测试时钟（仅开发与测试环境）/ The movable test clock (dev and test only).",
    },
]

_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {"Problem": schema, **definitions}


def _replace_default_422(document: dict[str, Any]) -> None:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            response = operation.get("responses", {}).get("422")
            if response and "application/json" in response.get("content", {}):
                response["content"] = {
                    PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                }
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        document.get("components", {}).get("schemas", {}).pop(name, None)


def _document_common_errors(document: dict[str, Any]) -> None:
    """Errors any operation may give: a body that cannot be read (400), an unexpected failure."""
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            statuses = (400, 500) if "requestBody" in operation else (500,)
            responses = operation.setdefault("responses", {})
            for status, response in problems(*statuses).items():
                responses.setdefault(str(status), response)


def event_schema_name(event_class: type[DomainEvent]) -> str:
    """The component name of an event's payload: `listing.closed` → `ListingClosedEvent`."""
    return f"{event_class.__name__}Event"


def _event_schema(event_class: type[DomainEvent]) -> dict[str, Any]:
    schema = TypeAdapter(event_class).json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    zh, en = event_class.summary
    schema["title"] = event_schema_name(event_class)
    schema["description"] = f"`{event_class.type}`: {zh} / {en}"
    return schema


def _webhook(event_class: type[DomainEvent]) -> dict[str, Any]:
    zh, en = event_class.summary
    name = event_schema_name(event_class)
    return {
        "post": {
            "tags": ["events"],
            "operationId": "event_" + event_class.type.replace(".", "_"),
            "summary": f"{event_class.type}: {en}",
            "description": f"{zh}\n\n{en} The payload of every `{event_class.type}` event, "
            f"as written to the outbox with the change (resource `{event_class.resource_type}`).",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                },
            },
            "responses": {"200": {"description": "收到 / Received."}},
        }
    }


def _document_events(document: dict[str, Any]) -> None:
    """Every domain event's payload schema, each referenced from one `webhooks` entry."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    webhooks = document.setdefault("webhooks", {})
    for event_class in wiring.event_types():
        schema = _event_schema(event_class)
        for name, definition in schema.pop("$defs", {}).items():
            if schemas.setdefault(name, definition) != definition:
                raise ValueError(f"two different schemas are named {name}")
        schemas[event_schema_name(event_class)] = schema
        webhooks[event_class.type] = _webhook(event_class)


def build(app: FastAPI) -> dict[str, Any]:
    """The finished document (cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=TITLE,
        version=API_VERSION,
        openapi_version="3.1.0",
        description=DESCRIPTION,
        routes=app.routes,
        tags=TAGS,
    )
    document["info"]["contact"] = {"name": "内蒙古自治区科学技术厅 / Inner Mongolia S&T Department"}
    document.setdefault("components", {}).setdefault("schemas", {}).update(_problem_schemas())
    _replace_default_422(document)
    _document_common_errors(document)
    _document_events(document)
    app.openapi_schema = document
    return document


def to_yaml(document: dict[str, Any]) -> str:
    """Deterministic YAML: insertion order kept, Chinese left readable."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
