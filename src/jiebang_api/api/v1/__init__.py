"""Version 1 of the API: one router module per resource."""

from fastapi import APIRouter

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
    router.include_router(module.router)
