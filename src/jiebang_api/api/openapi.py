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
from jiebang_api.api.v1.schemas import declared_examples
from jiebang_api.events.base import DomainEvent
from jiebang_api.kit.errors import ErrorCode
from jiebang_api.kit.labels import registered

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

# In the order of the programme's life, as Swagger UI and ReDoc show them. Each says what the
# stage is, who acts in it, and (for testers on the demo data) as which demo account.
TAGS: list[dict[str, str]] = [
    {
        "name": "auth",
        "description": "注册与令牌 / Registration and access tokens. Start here: **Authorize** "
        "with the password flow (the demo accounts are listed in the README, e.g. "
        "`demo.proposer`), or client credentials for the plan management system.",
    },
    {
        "name": "users",
        "description": "账户与对接客户端 / Accounts and service clients: who am I (`GET "
        "/api/v1/me`); the department (`demo.admin`) creates experts, agency users and "
        "service clients.",
    },
    {
        "name": "organizations",
        "description": "单位、成员与信用记录 / Organisations, members and credit records: a user "
        "registers an organisation (valid credit code) and becomes its manager; the "
        "department verifies its facts and records dishonesty.",
    },
    {
        "name": "listings",
        "description": "第一步：榜单征集、初筛、论证、确认与发布 / Step 1, listings (第九条"
        "（一）至（三）): the proposer (`demo.proposer`) drafts and submits; the department "
        "(`demo.admin`) screens, assesses and approves; the proposer confirms; the department "
        "publishes with the application window.",
    },
    {
        "name": "applications",
        "description": "第二步：揭榜申请与资格审查 / Step 2, applications (第九条（四）): a "
        "solver (`demo.university`, `demo.enterprise`) applies to a published listing, alone or "
        "leading a consortium whose members accept; submission runs every eligibility rule.",
    },
    {
        "name": "reviews",
        "description": "第三步：专家评审与推荐名单 / Step 3, the expert review (第九条（五）): "
        "once the window closes the department opens a round, the experts (`demo.expert1` … "
        "`3`) score, the department proposes and the proposer's reviewer confirms the "
        "recommendation.",
    },
    {
        "name": "agreements",
        "description": "第四步：协商、揭榜协议、审查、公示与异议 / Step 4, the agreement "
        "(第九条（六）（七）): the two sides negotiate, draft and confirm it; the department "
        "approves it onto public notice, where anyone may object.",
    },
    {
        "name": "projects",
        "description": "第五步：签约立项、资金、实施与验收 / Step 5, the project (第九条（八）、"
        "第十二条至第十七条): five signatures create it; the department decides the subsidy "
        "and pays the tranches; reports, changes, acceptance, termination and recovery.",
    },
    {
        "name": "public",
        "description": "公开信息（无需登录）/ Public, anonymous: the catalogue of listings, the "
        "notices of agreements (objections welcome) and the announcements of results.",
    },
    {
        "name": "attachments",
        "description": "附件上传与下载 / Files: upload one (PDF, images, office documents), "
        "then name its id where an operation takes `attachment_ids`.",
    },
    {
        "name": "integration",
        "description": "对接：变更推送、事件订阅与计划管理系统 / Integration: the change feed, "
        "webhook subscriptions and the plan management system's imports (service clients, "
        "e.g. `svc_demo_plan_system`).",
    },
    {
        "name": "events",
        "description": "领域事件（变更推送与订阅的载荷）/ Domain events: the payloads of the "
        "change feed and webhooks.",
    },
    {"name": "meta", "description": "枚举与参考数据 / Enumerations and reference data."},
    {
        "name": "sandbox",
        "description": "测试时钟（仅开发与测试环境）/ The movable test clock (dev and test only): "
        "`demo.admin` moves it to pass a window or a notice, and resets it.",
    },
    {"name": "operations", "description": "健康检查与监控 / Health, readiness and metrics."},
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


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for item in document.get("paths", {}).values() for op in item.values()]


def _document_common_errors(document: dict[str, Any]) -> None:
    """Errors any operation may give: a body that cannot be read (400) or does not arrive in
    time (408), a declared body over the size limit, refused unread by the middleware whatever
    the route (413), headers over their limit (431), an unexpected
    failure (500); and under `/api/`, a database that cannot be reached (503, with
    `Retry-After`)."""
    for path, item in document.get("paths", {}).items():
        for operation in item.values():
            statuses = [400, 408, 413, 431, 500] if "requestBody" in operation else [413, 431, 500]
            if path.startswith("/api/"):
                statuses.append(503)
            responses = operation.setdefault("responses", {})
            for status, response in problems(*statuses).items():
                responses.setdefault(str(status), response)
            if path.startswith("/api/"):
                responses["503"].setdefault("headers", {})["Retry-After"] = _header_ref(
                    "Retry-After"
                )


HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id: the caller's own `X-Request-ID` when it is safe "
        "(1–128 of `A-Z a-z 0-9 . _ : -`), else one the service made. It is in the logs, "
        "on problem documents, audit entries and events.",
        "schema": {"type": "string", "maxLength": 128, "examples": ["7f1c0e9a2b3d4c5e"]},
    },
    "Retry-After": {
        "description": "Seconds until the next attempt may succeed.",
        "schema": {"type": "integer", "minimum": 0, "examples": [900]},
    },
    "WWW-Authenticate": {
        "description": "The authentication scheme the service expects: `Bearer`.",
        "schema": {"type": "string", "examples": ["Bearer"]},
    },
}
# Headers that only some responses carry, by status.
HEADERS_BY_STATUS = {"401": "WWW-Authenticate", "429": "Retry-After"}


def _header_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _document_headers(document: dict[str, Any]) -> None:
    """`X-Request-ID` on every response; `WWW-Authenticate` on 401, `Retry-After` on 429."""
    document.setdefault("components", {})["headers"] = HEADERS
    for operation in _operations(document):
        for status, response in operation.get("responses", {}).items():
            headers = response.setdefault("headers", {})
            headers["X-Request-ID"] = _header_ref("X-Request-ID")
            if name := HEADERS_BY_STATUS.get(str(status)):
                headers[name] = _header_ref(name)


def _document_idempotency(document: dict[str, Any]) -> None:
    """The operations that honour `Idempotency-Key` answer 409 `IDEMPOTENCY_IN_FLIGHT` and
    422 `IDEMPOTENCY_KEY_REUSED`; those that move money need the key, and answer 400
    `IDEMPOTENCY_KEY_REQUIRED` without it (not FastAPI's 422), so the parameter is optional
    in the code and required here."""
    for operation in _operations(document):
        keyed = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        if not keyed:
            continue
        required = keyed[0].get("description", "").startswith("Required (400")
        keyed[0]["required"] = required
        codes = [ErrorCode.IDEMPOTENCY_IN_FLIGHT, ErrorCode.IDEMPOTENCY_KEY_REUSED]
        codes += [ErrorCode.IDEMPOTENCY_KEY_REQUIRED] if required else []
        responses = operation.setdefault("responses", {})
        for status, entry in problems(*codes).items():
            existing = responses.get(str(status))
            if existing is None:
                responses[str(status)] = entry
                continue
            added = entry["content"][PROBLEM_MEDIA_TYPE]["examples"]
            existing["content"][PROBLEM_MEDIA_TYPE]["examples"].update(added)
            existing["description"] += ", " + ", ".join(f"`{code}`" for code in added)


def _document_security(document: dict[str, Any]) -> None:
    """Both OAuth 2.0 grants of the token endpoint, and `security: []` on anonymous
    operations (those FastAPI gave no security requirement)."""
    scheme = document["components"]["securitySchemes"]["OAuth2"]
    token_url = scheme["flows"]["password"]["tokenUrl"]
    scheme["flows"]["clientCredentials"] = {"tokenUrl": token_url, "scopes": {}}
    for operation in _operations(document):
        operation.setdefault("security", [])


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


_WEBHOOK_HEADERS = (
    ("webhook-id", "The event's id: the same on every retry and redelivery (deduplicate by it)."),
    ("webhook-timestamp", "When this attempt was signed, in Unix seconds."),
    (
        "webhook-signature",
        "`v1,` + base64 HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` under the "
        "subscription's secret (Standard Webhooks); during a rotation's 24 hours, two such "
        "signatures separated by a space.",
    ),
)


def _webhook(event_class: type[DomainEvent]) -> dict[str, Any]:
    zh, en = event_class.summary
    name = event_schema_name(event_class)
    envelope = {
        "type": "object",
        "required": ["id", "type", "resource_type", "resource_id", "occurred_at", "data"],
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "The event's id."},
            "type": {"const": event_class.type, "description": "The event type."},
            "resource_type": {
                "const": event_class.resource_type,
                "description": "What kind of resource the event is about.",
            },
            "resource_id": {"type": "string", "description": "That resource's id."},
            "occurred_at": {
                "type": "string",
                "format": "date-time",
                "description": "When it happened (UTC).",
            },
            "data": {"$ref": f"#/components/schemas/{name}"},
        },
    }
    return {
        "post": {
            "tags": ["events"],
            "operationId": "event_" + event_class.type.replace(".", "_"),
            "summary": f"{event_class.type}: {en}",
            "description": f"{zh}\n\n{en} Delivered by the worker to each subscription that "
            f"wants `{event_class.type}`: the event (resource `{event_class.resource_type}`) "
            "with its payload in `data`, signed (Standard Webhooks headers). Answer 2xx "
            "within 10 s; anything else is retried (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), "
            "and 410 switches the subscription off.",
            "parameters": [
                {
                    "name": header,
                    "in": "header",
                    "required": True,
                    "description": description,
                    "schema": {"type": "string"},
                }
                for header, description in _WEBHOOK_HEADERS
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": envelope}},
            },
            "responses": {"200": {"description": "收到 / Received (any 2xx)."}},
            # Signed with the subscription's secret (the headers above), not a bearer token.
            "security": [],
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


def _describe_enums(document: dict[str, Any]) -> None:
    """Each labelled enumeration's component says what its values mean, in zh and en."""
    schemas = document.get("components", {}).get("schemas", {})
    for name, (_enum, labels) in registered().items():
        schema = schemas.get(name)
        if schema is None or "enum" not in schema:
            continue
        lines = [f"- `{value}`: {label.zh} / {label.en}" for value, label in labels.items()]
        intro = schema.get("description", "取值 / Values:")
        schema["description"] = intro + "\n\n" + "\n".join(lines)


def _absent_not_null(document: dict[str, Any]) -> None:
    """A parameter left out is absent, never null (a query string or a header has no null):
    an optional parameter's schema is its value's schema alone (FastAPI adds `null`)."""
    for operation in _operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            kinds = schema.get("anyOf", [])
            if {"type": "null"} not in kinds:
                continue
            values = [kind for kind in kinds if kind != {"type": "null"}]
            del schema["anyOf"]
            schema.update(values[0] if len(values) == 1 else {"anyOf": values})


def _restore_example_nulls(document: dict[str, Any]) -> None:
    """`get_openapi` drops every null (fastapi#5559); examples get their declared nulls back."""
    schemas = document.get("components", {}).get("schemas", {})
    for name, examples in declared_examples().items():
        if name in schemas:
            schemas[name]["examples"] = examples


# What each create operation makes, as the path parameters of the operations that use it, each
# with the runtime expression that gives its value. Every operation whose path parameters are
# exactly these is linked from the create's success response (`_document_links`).
LINKS: dict[str, dict[str, str]] = {
    "create_organization": {"organization_id": "$response.body#/id"},
    "add_member": {
        "organization_id": "$request.path.organization_id",
        "user_id": "$response.body#/user_id",
    },
    "create_listing": {"listing_id": "$response.body#/id"},
    "create_application": {"application_id": "$response.body#/id"},
    "upload_attachment": {"attachment_id": "$response.body#/id"},
    "submit_report": {"report_id": "$response.body#/id"},
    "create_webhook_subscription": {"subscription_id": "$response.body#/id"},
}


def _document_links(document: dict[str, Any]) -> None:
    """OpenAPI links from each create operation's success response to every operation that
    uses what it made (`LINKS`): client generators and stateful fuzzers follow them."""
    operations = _operations(document)
    by_id = {operation["operationId"]: operation for operation in operations}
    for source_id, parameters in LINKS.items():
        source = by_id[source_id]
        status = min(code for code in source["responses"] if code.startswith("2"))
        links = source["responses"][status].setdefault("links", {})
        for target in operations:
            used = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
            if used != set(parameters):
                continue
            given = ", ".join(f"`{name}` from `{value}`" for name, value in parameters.items())
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": dict(parameters),
                "description": f"{target['summary']}: {given}.",
            }


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
    document["info"]["license"] = {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
    document["servers"] = [{"url": "/", "description": "本服务 / This service (same origin)."}]
    _restore_example_nulls(document)
    document.setdefault("components", {}).setdefault("schemas", {}).update(_problem_schemas())
    _replace_default_422(document)
    _document_common_errors(document)
    _document_idempotency(document)
    _document_headers(document)
    _document_security(document)
    _document_events(document)
    _describe_enums(document)
    _absent_not_null(document)
    _document_links(document)
    app.openapi_schema = document
    return document


def to_yaml(document: dict[str, Any]) -> str:
    """Deterministic YAML: insertion order kept, Chinese left readable."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
