"""The roles a caller may hold (DESIGN §3)."""

from __future__ import annotations

from enum import StrEnum

from jiebang_api.kit.labels import labelled


@labelled(
    {
        "admin": ("科技厅管理员", "Department administrator"),
        "org_member": ("单位用户", "Organisation member"),
        "expert": ("评审专家", "Expert"),
        "agency": ("受托第三方机构", "Entrusted agency"),
        "integration": ("科技计划管理系统对接", "Plan-system integration"),
    }
)
class Role(StrEnum):
    ADMIN = "admin"
    ORG_MEMBER = "org_member"
    EXPERT = "expert"
    AGENCY = "agency"
    INTEGRATION = "integration"
