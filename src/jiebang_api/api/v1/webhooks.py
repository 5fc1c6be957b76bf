"""Webhook subscriptions (where the service sends signed copies of its domain events) and
their deliveries."""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Path, Request, Response, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import (
    ETAG,
    LOCATION,
    IfMatchDep,
    NowDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
)
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import Cursor, Limit
from jiebang_api.api.v1.schemas.webhooks import (
    WebhookAttemptOut,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookSubscriptionCreated,
    WebhookSubscriptionIn,
    WebhookSubscriptionOut,
    WebhookSubscriptionPage,
    WebhookSubscriptionPatch,
)
from jiebang_api.integration import addresses
from jiebang_api.integration import delivery as delivery_service
from jiebang_api.integration import subscriptions as subscriptions_service
from jiebang_api.integration.delivery import DeliveryStatus
from jiebang_api.integration.subscriptions import Resolver
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.models import WebhookSubscription
from jiebang_api.settings import Environment, Settings

router = StrictRouter(prefix="/webhook-subscriptions", tags=["integration"])

SubscriptionId = Annotated[uuid.UUID, Path(description="The webhook subscription's id.")]
WHO = (
    "The department (admin) and service clients (integration); a service client sees only "
    "the subscriptions it created (others' ids answer 404)."
)


@lru_cache(maxsize=8)
def _guard(https_only: bool, allowed: tuple[str, ...]) -> addresses.Policy:
    return addresses.Policy.of(https_only=https_only, allowed=allowed)


async def get_guard(settings: SettingsDep) -> addresses.Policy:
    """The address guard as configured: https only in prod, and the allow-list."""
    return _guard(settings.env is Environment.PROD, tuple(settings.webhook_allowed_addresses))


async def get_resolver(request: Request) -> Resolver:
    """How URL hosts are resolved: `app.state.resolver` when set (tests' stand-ins), else the
    system's (or IP addresses only, with `JIEBANG_WEBHOOK_RESOLVE_NAMES=false`)."""
    resolver: Resolver | None = getattr(request.app.state, "resolver", None)
    if resolver is not None:
        return resolver
    settings: Settings = request.app.state.settings
    if not settings.webhook_resolve_names:
        return subscriptions_service.literal_resolver
    return subscriptions_service.system_resolver(settings.webhook_resolve_timeout_seconds)


GuardDep = Annotated[addresses.Policy, Depends(get_guard)]
ResolverDep = Annotated[Resolver, Depends(get_resolver)]


def _out(subscription: WebhookSubscription, response: Response) -> WebhookSubscriptionOut:
    response.headers["ETag"] = f'"{subscription.version}"'
    return WebhookSubscriptionOut.model_validate(subscription)


def _created(
    subscription: WebhookSubscription, secret: str, response: Response
) -> WebhookSubscriptionCreated:
    response.headers["ETag"] = f'"{subscription.version}"'
    shown = WebhookSubscriptionOut.model_validate(subscription).model_dump()
    return WebhookSubscriptionCreated(**shown, secret=secret)


@router.post(
    "",
    response_model=WebhookSubscriptionCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Subscribe to events (admin, integration)",
    description=f"{WHO} The answer carries the signing `secret`, shown only here (and after "
    "each rotation). The URL's host is resolved now: a name that does not resolve, or an "
    "address of a kind the service never calls, answers 422 at `body.url`.",
    responses={201: {"headers": {**ETAG, **LOCATION}}, **problems(401, 403, 422)},
)
async def create_webhook_subscription(
    body: WebhookSubscriptionIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    guard: GuardDep,
    resolver: ResolverDep,
    response: Response,
) -> WebhookSubscriptionCreated:
    subscription, secret = await subscriptions_service.create(
        session, principal=principal, **body.model_dump(), now=now, guard=guard, resolver=resolver
    )
    response.headers["Location"] = f"/api/v1/webhook-subscriptions/{subscription.id}"
    return _created(subscription, secret, response)


@router.get(
    "",
    response_model=WebhookSubscriptionPage,
    summary="List webhook subscriptions (admin, integration)",
    description=f"{WHO} Oldest first, `limit` per page (1–100); continue with `next_cursor`.",
    responses=problems(401, 403, 422),
)
async def list_webhook_subscriptions(
    session: SessionDep,
    principal: PrincipalDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> WebhookSubscriptionPage:
    page = await subscriptions_service.list_(
        session, principal=principal, cursor=cursor, limit=limit
    )
    return WebhookSubscriptionPage(
        items=[WebhookSubscriptionOut.model_validate(s) for s in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/{subscription_id}",
    response_model=WebhookSubscriptionOut,
    summary="Read a webhook subscription (admin, integration)",
    description=f"{WHO} Never the secret. The `ETag` header carries the version for `If-Match`.",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 422)},
)
async def get_webhook_subscription(
    subscription_id: SubscriptionId,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> WebhookSubscriptionOut:
    subscription = await subscriptions_service.get(
        session, principal=principal, subscription_id=subscription_id
    )
    return _out(subscription, response)


@router.patch(
    "/{subscription_id}",
    response_model=WebhookSubscriptionOut,
    summary="Edit a webhook subscription (admin, integration)",
    description=f"{WHO} Only the fields given change, validated as at creation (a new URL is "
    "resolved and checked again). Send `If-Match` with the `ETag` you read: a stale one "
    "answers 412.",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 412, 422)},
)
async def update_webhook_subscription(
    subscription_id: SubscriptionId,
    body: WebhookSubscriptionPatch,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    guard: GuardDep,
    resolver: ResolverDep,
    expected_version: IfMatchDep,
    response: Response,
) -> WebhookSubscriptionOut:
    subscription = await subscriptions_service.update(
        session,
        principal=principal,
        subscription_id=subscription_id,
        changes=body.changes(),
        expected_version=expected_version,
        now=now,
        guard=guard,
        resolver=resolver,
    )
    return _out(subscription, response)


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a webhook subscription (admin, integration)",
    description=f"{WHO} Nothing more is delivered to it, and no read shows it again.",
    responses=problems(401, 403, 404, 422),
)
async def delete_webhook_subscription(
    subscription_id: SubscriptionId, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> Response:
    await subscriptions_service.delete(
        session, principal=principal, subscription_id=subscription_id, now=now
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{subscription_id}/rotate-secret",
    response_model=WebhookSubscriptionCreated,
    # A retry whose first answer was lost gets that answer again, not a second rotation
    # (which would retire the secret the caller never saw).
    dependencies=idempotency.CREATES,
    summary="Rotate a webhook subscription's secret (admin, integration)",
    description=f"{WHO} A new `secret`, shown only in this answer. The previous one stays "
    "valid for 24 hours (`previous_secret_expires_at`): deliveries meanwhile carry a "
    "signature under each, so a receiver can switch over without losing one.",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 422)},
)
async def rotate_webhook_secret(
    subscription_id: SubscriptionId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> WebhookSubscriptionCreated:
    subscription, secret = await subscriptions_service.rotate_secret(
        session, principal=principal, subscription_id=subscription_id, now=now
    )
    return _created(subscription, secret, response)


DELIVERY_WHO = (
    "The subscription's owner (the service client that created it) and the department "
    "(admin); anyone else's answers 404."
)


def _delivery_out(view: delivery_service.DeliveryView) -> WebhookDeliveryOut:
    row = view.delivery
    return WebhookDeliveryOut(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        subscription_id=row.subscription_id,
        status=DeliveryStatus(row.status),
        next_attempt_at=row.next_attempt_at,
        attempts=[WebhookAttemptOut.model_validate(a) for a in view.attempts],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get(
    "/{subscription_id}/deliveries",
    response_model=WebhookDeliveryPage,
    summary="List a subscription's deliveries (admin, integration)",
    description=f"{DELIVERY_WHO} One delivery per event sent to the subscription, oldest "
    "first, each with its attempts (status code or error, latency, the next attempt's "
    "time); `limit` per page (1–100), continue with `next_cursor`.",
    responses=problems(401, 403, 404, 422),
)
async def list_webhook_deliveries(
    subscription_id: SubscriptionId,
    session: SessionDep,
    principal: PrincipalDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> WebhookDeliveryPage:
    page = await delivery_service.list_for_subscription(
        session, principal=principal, subscription_id=subscription_id, cursor=cursor, limit=limit
    )
    return WebhookDeliveryPage(
        items=[_delivery_out(view) for view in page.items], next_cursor=page.next_cursor
    )


deliveries_router = StrictRouter(prefix="/webhook-deliveries", tags=["integration"])
DeliveryId = Annotated[uuid.UUID, Path(description="The webhook delivery's id.")]


@deliveries_router.post(
    "/{delivery_id}/redeliver",
    response_model=WebhookDeliveryOut,
    summary="Send a delivery again (admin, integration)",
    description=f"{DELIVERY_WHO} The delivery becomes `pending`, due now, with a fresh retry "
    "schedule; a worker sends it on its next tick with the same `webhook-id`. 409 while an "
    "attempt is in flight, or when the subscription is switched off.",
    responses=problems(401, 403, 404, 409, 422),
)
async def redeliver_webhook(
    delivery_id: DeliveryId, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> WebhookDeliveryOut:
    view = await delivery_service.redeliver(
        session, principal=principal, delivery_id=delivery_id, now=now
    )
    return _delivery_out(view)
