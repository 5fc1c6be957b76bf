"""Version 1 of the API: one router module per resource."""

from fastapi import APIRouter

from jiebang_api.api.v1 import meta, sandbox

router = APIRouter()
router.include_router(meta.router)
router.include_router(sandbox.router)
