"""Version 1 of the API: one router module per resource.

Each module's router reads its requests through `api.routing.StrictRoute` (authentication
first, strict JSON and dates): `router = APIRouter(..., route_class=StrictRoute)`.
"""

from fastapi import APIRouter

from jiebang_api.api.routing import StrictRoute
from jiebang_api.api.v1 import (
    applications,
    attachments,
    auth,
    listings,
    meta,
    organizations,
    policies,
    public,
    sandbox,
    service_clients,
    users,
)

router = APIRouter()
for module in (
    auth,
    users,
    service_clients,
    organizations,
    listings,
    applications,
    attachments,
    public,
    policies,
    meta,
    sandbox,
):
    if not issubclass(module.router.route_class, StrictRoute):
        raise TypeError(f"{module.__name__}.router must be built with route_class=StrictRoute")
    router.include_router(module.router)
