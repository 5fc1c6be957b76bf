"""Reference data for frontends."""

from __future__ import annotations

from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.schemas.meta import EnumerationsOut, RulesOut
from jiebang_api.meta import service as meta
from jiebang_api.rules.catalogue import RULES

router = StrictRouter(prefix="/meta", tags=["meta"])


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


@router.get(
    "/rules",
    response_model=RulesOut,
    summary="List every rule of the measures with its articles and where it is checked",
)
async def list_rules() -> RulesOut:
    """The rule catalogue: every rule id that errors, eligibility findings and funding
    figures cite (`R-…`), with its articles of the measures (e.g. `第四条（一）`; a finding
    cites the one that applies), a one-line summary in Chinese and English, whether it is
    waivable ("in principle", 原则上: the department may lift it case by case by an audited
    decision), its kind (`block`, `warning` shown but never blocking, `priority` flagging an
    encouraged party), its basis (`text`, or `reading` where the service reads beyond the
    words, with `reading_zh`/`reading_en` saying how) and `enforced_at`, the use cases that
    check it (empty for a rule no code checks yet). Ordered by article; the service's own
    rules come last. Anonymous."""
    return RulesOut.model_validate({"items": RULES})
