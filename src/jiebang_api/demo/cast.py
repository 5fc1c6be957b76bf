"""Who and what the demo data is made of (pure): the accounts with their fixed password, the
organisations with valid credit codes, and the texts of the listings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stdnum.cn import uscc

# The one password of every demo account (dev and test environments only; README lists them).
PASSWORD = "demo-password-2027"  # noqa: S105 - published in README, never in prod
# The plan management system's demo service client.
CLIENT_ID = "svc_demo_plan_system"
CLIENT_SECRET = "demo-client-secret-2027"  # noqa: S105 - as PASSWORD
CLIENT_NAME = "演示：科技计划管理系统"


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    roles: tuple[str, ...] = ()


ADMIN = Account("demo.admin", "演示：科技厅管理员", ("admin",))
PROPOSER = Account("demo.proposer", "演示：发榜企业管理员")
UNIVERSITY = Account("demo.university", "演示：大学科研处")
INSTITUTE = Account("demo.institute", "演示：研究院管理员")
ENTERPRISE = Account("demo.enterprise", "演示：揭榜企业管理员")
EXPERTS = tuple(Account(f"demo.expert{n}", f"演示：评审专家{n}", ("expert",)) for n in (1, 2, 3))
AGENCY = Account("demo.agency", "演示：第三方机构", ("agency",))
ACCOUNTS = (ADMIN, PROPOSER, UNIVERSITY, INSTITUTE, ENTERPRISE, *EXPERTS, AGENCY)


def credit_code(body: str) -> str:
    """`body` (17 characters) with its check digit (R-ORG-USCC)."""
    return body + uscc.calc_check_digit(body)


@dataclass(frozen=True)
class Org:
    key: str
    name: str
    uscc: str
    type: str
    flags: tuple[str, ...] = ()
    verified: bool = True  # by the department, all its declared flags


PROPOSER_ORG = Org(
    "proposer",
    "内蒙古演示稀土新材料股份有限公司",
    credit_code("91150200MA0DEM001"),
    "enterprise",
    ("independent_legal_person", "pays_tax_in_region", "high_tech", "large_influential"),
)
# A subsidiary of the proposer: eligibility refuses it on its parent's listings (Art. 15).
SUBSIDIARY_ORG = Org(
    "subsidiary",
    "包头演示稀土磁材有限公司",
    credit_code("91150200MA0DEM002"),
    "enterprise",
    ("independent_legal_person", "pays_tax_in_region"),
)
UNIVERSITY_ORG = Org(
    "university",
    "内蒙古演示大学",
    credit_code("12150000MB0DEM003"),
    "university",
    ("independent_legal_person", "pays_tax_in_region"),
)
# Self-declared and not verified: its applications carry warnings.
INSTITUTE_ORG = Org(
    "institute",
    "内蒙古演示材料研究院",
    credit_code("12150100MB0DEM004"),
    "research_institute",
    ("independent_legal_person",),
    verified=False,
)
ENTERPRISE_ORG = Org(
    "enterprise",
    "呼和浩特演示装备制造有限公司",
    credit_code("91150100MA0DEM005"),
    "enterprise",
    ("independent_legal_person", "pays_tax_in_region", "tech_based"),
)
AGENCY_ORG = Org("agency", "内蒙古演示科技评估中心", credit_code("12150000MB0DEM006"), "agency")

LISTING_TEXT: dict[str, Any] = {
    "industry": "新材料",
    "background": "企业现有稀土永磁产品矫顽力不足，制约高端电机应用。",
    "key_technologies": [{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
    "time_requirement_months": 24,
    "total_rd_investment": "10000000.00",
    "demand_requirements": "提供中试线与测试条件。",
    "supply_requirements": "具备稀土永磁研发团队。",
    "ip_ownership": "新产生知识产权归双方共有。",
    "benefit_sharing": "按投入比例分享收益。",
    "attachment_ids": [],
}
TRANSFER_TEXT: dict[str, Any] = {
    "application_direction": "新能源汽车驱动电机用高性能磁体。",
    "industrial_effect": "带动区内稀土永磁材料向高端应用延伸。",
    "transfer_content": "晶界扩散制备高矫顽力钕铁硼磁体的成套工艺。",
    "transfer_form": "专利实施许可",
    "transfer_service": "技术转移中心团队全程参与工艺移植与调试。",
}
PLAN: dict[str, Any] = {
    "approach": "晶界扩散结合中试验证",
    "milestones": [{"title": "中试", "due_month": 12, "deliverable": "中试报告"}],
    "budget_total": "10000000.00",
    "team": [{"name": "王工", "title": "教授", "role": "技术负责人"}],
}
DECLARATIONS: dict[str, Any] = {
    "has_transfer_team": True,
    "can_provide_funds": True,
    "can_provide_site": True,
    "market_channels": "区内整车企业",
}
