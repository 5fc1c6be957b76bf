"""Reference data for frontends."""

from __future__ import annotations

from fastapi import APIRouter

from jiebang_api.api.v1.schemas.meta import EnumerationsOut
from jiebang_api.meta import service as meta

router = APIRouter(prefix="/meta", tags=["meta"])


@router.get(
    "/enums",
    response_model=EnumerationsOut,
    summary="List every enumeration with Chinese and English labels",
)
async def list_enumerations() -> EnumerationsOut:
    """Every enumeration the API uses (listing kinds, organisation types, roles, problem
    codes, …) with its values and their zh/en labels, so that frontends need not hard-code
    them. Anonymous."""
    return EnumerationsOut.model_validate({"items": meta.enumerations()})
