"""How every v1 operation reads its request, before FastAPI solves its parameters.

`StrictRoute` (each v1 router's `route_class`) does, in this order:

1. **Authentication first.** An operation that depends on `get_principal` (documented with
   the OAuth2 security requirement) answers 401 to a caller without a bearer token, or with
   one that is forged or expired, before anything of the request is read or validated.
   (`get_principal` itself answers anonymous for no token, and the services refuse
   anonymous callers; but FastAPI parses the body before it runs any dependency and only
   runs the operation, where the service refuses, once the body and parameters are valid,
   so a bad request used to answer 422 before 401.)
2. **Dates in parameters are ISO 8601 text.** Pydantic reads a number as epoch seconds
   (`opens_before=0.5` as 1970-01-01T00:00:00.5Z); a `date`/`datetime` query, path, header
   or cookie parameter must begin with `YYYY-MM-DD`.
3. **JSON as RFC 8259 writes it, parsed once.** UTF-8, no `NaN`/`Infinity`, no number
   Python cannot hold, no key twice in one object (Python's `json` keeps the last value
   silently). A refusal is a 422 `VALIDATION_FAILED` naming where it is; FastAPI reads the
   parsed value from the request afterwards.
4. **Then the unit of work.** An operation that asks for a session (`SessionDep`) runs
   inside `deps.unit_of_work`: its database turn, its session, the commit before the
   response leaves. A request refused above never waits for a turn. A `ReplicaRoute`'s
   anonymous reads take their turn and session on the read replica, when one is set.
"""

from __future__ import annotations

import email.message
import json
import math
import re
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from types import NoneType, UnionType
from typing import Any, ClassVar, Union, get_args, get_origin

from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, APIRouter
from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from jiebang_api.api import deps, idempotency
from jiebang_api.kit.errors import NotFound, Unauthenticated
from jiebang_api.settings import Settings

# The text of a date, and of an instant with its offset (RFC 3339, as `format: date-time`
# means it): ASCII digits only (`\d` would take any Unicode digit).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)",
    re.ASCII,
)

ISO_DATE_MESSAGE = "Input should be a date written as an ISO 8601 string, YYYY-MM-DD"
ISO_DATETIME_MESSAGE = (
    "Input should be a date-time with its offset written as an ISO 8601 string, "
    "e.g. 2027-01-05T09:00:00+08:00"
)


def is_iso_date(text: str) -> bool:
    """`YYYY-MM-DD` (whether it is a real day is the date type's to say)."""
    return _ISO_DATE.fullmatch(text) is not None


def is_iso_datetime(text: str) -> bool:
    """`YYYY-MM-DDTHH:MM[:SS[.f]]` and an offset (`Z`, `+08:00`): never a number, never a
    local time that the database could only compare by guessing its zone."""
    return _ISO_DATETIME.fullmatch(text) is not None


# ------------------------------------------------------------------------------------------
# JSON
# ------------------------------------------------------------------------------------------


class _Duplicated(dict[str, Any]):
    """An object in which some key appeared more than once."""

    duplicated: list[str]


class JSONRefused(ValueError):
    """The body is no JSON this service reads; `errors` are pydantic-style errors."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["msg"])
        self.errors = errors


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    marked = _Duplicated(result)
    seen: set[str] = set()
    marked.duplicated = []
    for key, _ in pairs:
        if key in seen and key not in marked.duplicated:
            marked.duplicated.append(key)
        seen.add(key)
    return marked


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def _duplicates(value: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Where each duplicated key is: the path of its object, and the key."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item, _Duplicated):
                for key in item.duplicated:
                    yield path, key
            stack.extend(((*path, k), v) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(item))))


def _invalid(loc: tuple[str | int, ...], error: str) -> dict[str, Any]:
    return {
        "type": "json_invalid",
        "loc": loc,
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": error},
    }


def loads(body: bytes) -> Any:
    """The JSON value of `body`, or `JSONRefused`: invalid JSON (FastAPI's `json_invalid`
    error, at the character), text that is not UTF-8, `NaN` or `Infinity`, a number out of
    range, nesting too deep, or a key twice in one object (`json_duplicate_key` at the key)."""
    try:
        value = json.loads(
            body.decode("utf-8-sig"),
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_float=_float,
        )
    except json.JSONDecodeError as error:
        raise JSONRefused([_invalid(("body", error.pos), error.msg)]) from None
    except UnicodeDecodeError:
        raise JSONRefused([_invalid(("body",), "the body is not UTF-8")]) from None
    except RecursionError:
        raise JSONRefused([_invalid(("body",), "the body is nested too deeply")]) from None
    except ValueError as error:  # NaN, Infinity, an integer of more than 4300 digits
        raise JSONRefused([_invalid(("body",), str(error)[:200])]) from None
    errors = [
        {
            "type": "json_duplicate_key",
            "loc": ("body", *path, key),
            "msg": f"Duplicate key {key[:100]!r}: a key may appear once in an object",
            "input": key,
            "ctx": {"key": key[:100]},
        }
        for path, key in _duplicates(value)
    ]
    if errors:
        raise JSONRefused(errors)
    return value


class _StrictJSONRequest(Request):
    """A request whose JSON body is read by `loads` (and kept, so FastAPI reads it once)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


def _is_json(request: Request) -> bool:
    """Whether FastAPI will read the body as JSON (the test it makes, with a strict content
    type: a body without one is not read as JSON)."""
    content_type = request.headers.get("content-type")
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


# ------------------------------------------------------------------------------------------
# The route
# ------------------------------------------------------------------------------------------


def _date_kind(annotation: Any) -> type | None:
    """`datetime` or `date` when the parameter is one (optional or not), else None."""
    if get_origin(annotation) in (Union, UnionType):
        kinds = {_date_kind(arg) for arg in get_args(annotation) if arg is not NoneType}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, date):
        return datetime if issubclass(annotation, datetime) else date
    return None


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    """The operation's dependant and all its sub-dependencies, at any depth."""
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _requires_principal(dependant: Dependant) -> bool:
    return any(sub.call is deps.get_principal for sub in _dependants(dependant))


def _idempotency(dependant: Dependant) -> bool | None:
    """Whether the operation needs `Idempotency-Key` (True), honours it (False), or neither."""
    for sub in _dependants(dependant):
        if sub.call in idempotency.DEPENDENCIES:
            return idempotency.DEPENDENCIES[sub.call]
    return None


def _requires_session(dependant: Dependant) -> bool:
    return any(sub.call in deps.SESSION_DEPENDENCIES for sub in _dependants(dependant))


@dataclass(frozen=True)
class _DateParameter:
    where: str  # path, query, header or cookie
    name: str  # as errors locate it
    key: str  # as the request carries it (a header's underscores are hyphens)
    kind: type  # date or datetime


def _date_parameters(dependant: Dependant) -> list[_DateParameter]:
    """Each date parameter outside the body."""
    found: dict[tuple[str, str], _DateParameter] = {}
    for sub in _dependants(dependant):
        for where, fields in (
            ("path", sub.path_params),
            ("query", sub.query_params),
            ("header", sub.header_params),
            ("cookie", sub.cookie_params),
        ):
            for field in fields:
                kind = _date_kind(field.field_info.annotation)
                if kind is None:
                    continue
                key = field.alias
                if where == "header" and getattr(field.field_info, "convert_underscores", True):
                    key = key.replace("_", "-")
                found[where, field.alias] = _DateParameter(where, field.alias, key, kind)
    return list(found.values())


def _raw_values(request: Request, parameter: _DateParameter) -> list[str]:
    where, key = parameter.where, parameter.key
    if where == "query":
        return request.query_params.getlist(key)
    if where == "header":
        return request.headers.getlist(key)
    if where == "cookie":
        return [request.cookies[key]] if key in request.cookies else []
    value = request.path_params.get(key)
    return [value] if isinstance(value, str) else []


class StrictRoute(APIRoute):
    """An operation that authenticates first and reads dates and JSON strictly (above)."""

    # Whether its anonymous safe requests may read the read replica (`ReplicaRoute`).
    replica_reads: ClassVar[bool] = False

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        # The path up to its first parameter. FastAPI tries every route in turn, each with
        # a regular expression and scope bookkeeping (~3 µs; ~0.4 ms to reach the last of
        # ~120 routes, twice per request); a request path that does not contain this text
        # cannot match, under whatever prefix the route is included, so it is told at once.
        self.literal_head = self.path_format.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and self.literal_head not in scope["path"]:
            return Match.NONE, {}
        return super().matches(scope)

    def exists(self, request: Request) -> bool:
        """Whether the operation is there at all (else 404, before authentication)."""
        return True

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        protected = _requires_principal(self.dependant)
        with_session = _requires_session(self.dependant)
        keyed = _idempotency(self.dependant)
        replica_reads = self.replica_reads and deps.SAFE_METHODS.issuperset(self.methods or ())
        dates = _date_parameters(self.dependant)
        json_body = self.body_field is not None and not isinstance(
            self.body_field.field_info, params.Form
        )

        async def strict_handler(request: Request) -> Response:
            if not self.exists(request):
                raise NotFound()
            if protected:
                _authenticate(request)
            if dates:
                _check_dates(request, dates)
            if json_body:
                request = _StrictJSONRequest(request.scope, request.receive)
                if _is_json(request) and await request.body():
                    try:
                        await request.json()
                    except JSONRefused as refused:
                        raise RequestValidationError(refused.errors) from None
            if not with_session:
                return await handle(request)
            if keyed is not None:
                return await idempotency.run(request, keyed, handle)
            async with deps.unit_of_work(request, replica_reads=replica_reads) as session:
                request.state.session = session
                return await handle(request)

        return strict_handler


class StrictRouter(APIRouter):
    """A v1 router: its operations are `StrictRoute`s, and a request path that does not
    contain its prefix is told at once that nothing here matches (as `literal_head`)."""

    def __init__(self, *, route_class: type[StrictRoute] = StrictRoute, **kwargs: Any) -> None:
        super().__init__(route_class=route_class, **kwargs)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.prefix and scope["type"] == "http" and self.prefix not in scope["path"]:
            return Match.NONE, {}
        return super().matches(scope)


class SandboxRoute(StrictRoute):
    """The sandbox's operations: absent (404, whoever asks) unless the sandbox is enabled."""

    def exists(self, request: Request) -> bool:
        settings: Settings = request.app.state.settings
        return settings.sandbox_enabled


class ReplicaRoute(StrictRoute):
    """An anonymous read that may be a little stale (the public catalogue): without an
    `Authorization` header it reads the read replica, when one is set (`deps.unit_of_work`)."""

    replica_reads = True


def _authenticate(request: Request) -> None:
    """401 unless a bearer token is sent and verifies (whether its account is still active
    is `get_principal`'s to check, as it always was)."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated()
    deps.verified_claims(request, token)


def _check_dates(request: Request, dates: list[_DateParameter]) -> None:
    errors: list[dict[str, Any]] = []
    for parameter in dates:
        check, error, message = (
            (is_iso_datetime, "iso_datetime", ISO_DATETIME_MESSAGE)
            if parameter.kind is datetime
            else (is_iso_date, "iso_date", ISO_DATE_MESSAGE)
        )
        errors.extend(
            {"type": error, "loc": (parameter.where, parameter.name), "msg": message, "input": raw}
            for raw in _raw_values(request, parameter)
            if not check(raw)
        )
    if errors:
        raise RequestValidationError(errors)
