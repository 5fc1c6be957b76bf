"""Version 1 of the API: one router module per resource.

Each module's router is an `api.routing.StrictRouter`: its operations read their requests
through `StrictRoute` (authentication first, strict JSON and dates), and routing skips a
router whose prefix the request path does not contain.
"""

from jiebang_api.api.routing import StrictRoute, StrictRouter
from jiebang_api.api.v1 import (
    agreements,
    applications,
    attachments,
    auth,
    calendar,
    changes,
    events,
    funding,
    imports,
    listings,
    management,
    meta,
    objections,
    organizations,
    policies,
    projects,
    public,
    reports,
    reviews,
    sandbox,
    service_clients,
    users,
    webhooks,
)

PREFIX = "/api/v1"

# Each included on its own under PREFIX (routing walks one level of routers, not two), in the
# order routing tries them: the hottest paths first.
ROUTERS = (
    *(
        module.router
        for module in (
            public,
            users,
            listings,
            applications,
            reviews,
            agreements,
            objections,
            projects,
            funding,
            management,
            changes,
            reports,
            organizations,
            attachments,
            auth,
            service_clients,
            policies,
            calendar,
            meta,
            events,
            sandbox,
            webhooks,
            imports,
        )
    ),
    webhooks.deliveries_router,
)
for _router in ROUTERS:
    if not isinstance(_router, StrictRouter) or not issubclass(_router.route_class, StrictRoute):
        raise TypeError(f"{_router.prefix or _router.tags} must be a StrictRouter of StrictRoutes")
