"""Sign-up and tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import (
    BaseClockDep,
    ClientAddressDep,
    CodecDep,
    LimitsDep,
    NowDep,
    SessionDep,
    count_registration,
)
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.schemas.auth import RegisterIn, TokenOut, TokenRequest, UserOut
from jiebang_api.auth import service as auth_service
from jiebang_api.kit.errors import InputInvalid, Message, Violation

router = StrictRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register an organisation user",
    description="Anyone may create an account (no roles). Then register an organisation "
    "(`POST /api/v1/organizations`) to become its manager, or be added to one by its manager. "
    "Passwords: at least 10 characters, not equal to the username. Rate-limited per address "
    "(20 attempts an hour by default): every attempt counts, valid or not, and one over the "
    "limit answers 429 with `Retry-After` before its fields are validated.",
    responses=problems(409, 422, 429),
    dependencies=[Depends(count_registration), *idempotency.CREATES],
)
async def register(body: RegisterIn, session: SessionDep, now: NowDep) -> UserOut:
    user = await auth_service.register(session, **body.model_dump(), now=now)
    return UserOut.model_validate(user)


@router.post(
    "/token",
    response_model=TokenOut,
    summary="Get an access token (OAuth2)",
    description="Form-encoded. `grant_type=password` with `username` and `password` (people; "
    "Swagger UI's Authorize button uses this), or `grant_type=client_credentials` with "
    "`client_id` and `client_secret` (the plan management system).\n\n"
    "Failures are throttled, successes never count. Per username (or client id) and client "
    "address, 5 failures within 15 minutes are free; after each further one the next attempt "
    "from that address must wait 1, 2, 4 … seconds (at most 60) and meanwhile answers 429 "
    "with `Retry-After`. A success clears that count. One address's failures for any names "
    "are limited as well (100 in 15 minutes). Failures from one address never delay another, "
    "so nobody can lock an account's owner out. (The defaults; the service may be set up "
    "otherwise.)",
    responses=problems(401, 422, 429),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "examples": {
                        "password": {
                            "summary": "A person",
                            "value": {
                                "grant_type": "password",
                                "username": "zhang.wei",
                                "password": "correct-horse-battery",
                            },
                        },
                        "client_credentials": {
                            "summary": "The plan management system",
                            "value": {
                                "grant_type": "client_credentials",
                                "client_id": "svc_1a2b3c4d5e6f7a8b",
                                "client_secret": "the-secret-shown-once",
                            },
                        },
                    }
                }
            }
        }
    },
)
async def issue_token(
    session: SessionDep,
    limits: LimitsDep,
    codec: CodecDep,
    address: ClientAddressDep,
    clock: BaseClockDep,
    form: Annotated[TokenRequest, Form()],
    request: Request,
) -> TokenOut:
    await _refuse_empty_fields(request)
    now = clock.now()
    username, password = form.username, form.password
    client_id, client_secret = form.client_id, form.client_secret
    if form.grant_type == "password" and username and password:
        issued = await auth_service.password_grant(
            session,
            username=username,
            password=password,
            address=address,
            limits=limits,
            codec=codec,
            now=now,
        )
    elif form.grant_type == "client_credentials" and client_id and client_secret:
        issued = await auth_service.client_credentials_grant(
            session,
            client_id=client_id,
            client_secret=client_secret,
            address=address,
            limits=limits,
            codec=codec,
            now=now,
        )
    else:
        raise InputInvalid(MISSING_CREDENTIALS)
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


EMPTY_FIELD = Message("字段不能为空。", "The field may not be empty.")


async def _refuse_empty_fields(request: Request) -> None:
    """A field sent empty is refused, as the form's schema says (`minLength: 1`): FastAPI would
    read it as left out, and a grant would ignore an empty field it does not need."""
    sent = await request.form()  # parsed already for the form model: no second read
    empty = [name for name in TokenRequest.model_fields if sent.get(name) == ""]
    if empty:
        raise InputInvalid(
            EMPTY_FIELD, violations=[Violation(EMPTY_FIELD, field=f"body.{n}") for n in empty]
        )


MISSING_CREDENTIALS = Message(
    "password 需要 username 与 password；client_credentials 需要 client_id 与 client_secret。",
    "password needs username and password; client_credentials needs client_id and client_secret.",
)
