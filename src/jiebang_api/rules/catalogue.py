"""The rule catalogue: every rule id the service cites, its article and a short summary — pure.

Ids and article numbers follow the measures (the Chinese text is the authority); the
summaries are the service's own wording. Rules that the measures state "in principle"
(原则上) are `waivable`: the department may lift them case by case, by an explicit, audited
decision. Two rules are the service's own: R-ORG-USCC cites the national standard of the
code, R-LIST-WINDOW cites `SERVICE_RULE`.

Every id cited anywhere in `jiebang_api` must be listed here, with the same article
(checked by `tests/unit/test_rule_catalogue.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from jiebang_api.kit.labels import labelled

SERVICE_RULE = "本系统规则"
USCC_STANDARD = "GB 32100-2015"


@labelled(
    {
        "block": ("阻断", "Blocking"),
        "warning": ("提示", "Warning"),
        "priority": ("优先", "Priority"),
    }
)
class RuleKind(StrEnum):
    """What a finding under the rule does: stop the action, only inform, or flag a priority."""

    BLOCK = "block"
    WARNING = "warning"
    PRIORITY = "priority"


@dataclass(frozen=True)
class Rule:
    id: str
    article: str
    summary_zh: str
    summary_en: str
    waivable: bool = False
    kind: RuleKind = RuleKind.BLOCK


RULES: tuple[Rule, ...] = (
    # 第四条: the kinds of listing and who may take them up.
    Rule(
        "R-ELIG-NOT-SUBSIDIARY",
        "第四条（一）",
        "揭榜方（牵头单位及每个联合体成员）不得是发榜方本身或其任一层级的下属单位。",
        "No solver, lead or consortium member, may be the proposer itself or a subsidiary "
        "of it at any level.",
    ),
    Rule(
        "R-ELIG-TB-SOLVER-TYPE",
        "第四条（一）",
        "技术攻关类的揭榜方及其联合体成员须为高校、科研院所、企业或创新联合体。",
        "A technology-breakthrough solver and each consortium member must be a university, "
        "research institute, enterprise or innovation consortium.",
    ),
    Rule(
        "R-ELIG-AT-SOLVER-ENTERPRISE",
        "第四条（二）",
        "成果转化类的牵头揭榜单位须为自治区内的企业。",
        "The lead solver of an achievement transfer must be an enterprise located in the region.",
    ),
    Rule(
        "R-ELIG-AT-ENTERPRISE-LED",
        "第四条（二）",
        "高校、科研院所可作为成员参与成果转化，但应由企业主导；成员预算份额高于牵头企业时提示评审。",
        "Universities and institutes may join an achievement transfer as members, but the "
        "enterprise leads; a member with a larger budget share is flagged to reviewers.",
        kind=RuleKind.WARNING,
    ),
    # 第五条: the proposer of a technology breakthrough.
    Rule(
        "R-ELIG-TB-PROPOSER",
        "第五条",
        "技术攻关类发榜方须为区内具有独立法人资格的企业，或在内蒙古纳税的中央企业分公司。",
        "A technology-breakthrough proposer must be an in-region enterprise that is its own "
        "legal person, or a branch of a central state enterprise paying tax in the region.",
    ),
    Rule(
        "R-ELIG-TB-PROPOSER-SCALE",
        "第五条（一）",
        "发榜企业通常应为有一定规模和行业影响力的企业或高新技术企业，不符时仅提示论证专家。",
        "The proposer is expected to be a sizeable, influential or high-tech enterprise; "
        "otherwise assessors are alerted, nothing is blocked.",
        kind=RuleKind.WARNING,
    ),
    # 第六条: the solver of a technology breakthrough.
    Rule(
        "R-ELIG-TB-PLAN",
        "第六条（一）",
        "揭榜申请须针对榜单提出的难题给出切实可行的攻关方案。",
        "An application must carry a workable plan for the problem the listing states.",
    ),
    Rule(
        "R-ELIG-TB-TEAM",
        "第六条（二）",
        "揭榜申请须说明能帮助需求方把成果落地的经验和团队。",
        "An application must name the experience and team that will help the demand side "
        "put the result to use.",
    ),
    Rule(
        "R-ELIG-PRIORITY",
        "第六条（三）",
        "“4+8+N”合作主体和与自治区政府签有战略合作协议的单位获优先标注，供评审参考。",
        "4+8+N partners and units with a strategic cooperation agreement with the regional "
        "government are flagged to reviewers as encouraged applicants.",
        kind=RuleKind.PRIORITY,
    ),
    # 第七条: the proposer of an achievement transfer.
    Rule(
        "R-ELIG-AT-PROPOSER-TYPE",
        "第七条",
        "成果转化类发榜方须为高校、科研院所或科技型企业。",
        "An achievement-transfer proposer must be a university, research institute or "
        "technology enterprise.",
    ),
    Rule(
        "R-ELIG-AT-LAYOUT",
        "第七条（一）",
        "拟转化成果须契合自治区发展布局、应用方向明确，榜单须写明转化内容和方式。",
        "The achievement must fit the region's development plans and have a clear use; the "
        "listing states what is transferred and how.",
    ),
    Rule(
        "R-ELIG-AT-OWN-IP",
        "第七条（二）",
        "发榜方须是拟转化成果全部知识产权记录的权利人。",
        "The proposer must be the holder of every IP record of the achievement on offer.",
    ),
    Rule(
        "R-ELIG-AT-SERVICE-TEAM",
        "第七条（三）",
        "发榜方须有转化服务团队或可依托的第三方机构。",
        "The proposer must have a transfer service team or a third-party institution to "
        "support the transfer.",
    ),
    # 第八条: the taker of an achievement transfer.
    Rule(
        "R-ELIG-AT-DEMAND-TEAM",
        "第八条（一）",
        "承接成果的企业须有胜任转化工作的人才团队，在申请中申报、由评审判断。",
        "The enterprise taking up the achievement must have a capable transfer team, declared "
        "in the application and judged in review.",
    ),
    Rule(
        "R-ELIG-AT-DEMAND-RESOURCES",
        "第八条（二）",
        "承接成果的企业须能提供转化所需的资金、场地和市场渠道。",
        "The enterprise taking up the achievement must be able to provide the funds, site and "
        "market channels the transfer needs.",
    ),
    # 第九条: the workflow.
    Rule(
        "R-LIST-FIELDS",
        "第九条（一）",
        "榜单须写明背景、关键技术及其指标、时限、研发总投入、对双方的要求、知识产权归属和利益分配。",
        "A listing must state its background, key technologies with target metrics, time "
        "frame, total R&D investment, requirements on both sides, IP ownership and benefit "
        "sharing.",
    ),
    Rule(
        "R-WF-PUBLISH-JOINT",
        "第九条（三）",
        "榜单终稿经发榜方确认后方可发布。",
        "A listing is published only after the proposer has confirmed its final text.",
    ),
    Rule(
        "R-WF-RECOMMEND-JOINT",
        "第九条（五）",
        "拟推荐名单由科技厅与发榜方共同审查揭榜方资质和方案可行性后产生。",
        "The recommended applicants are chosen by the department and the proposer together, "
        "after reviewing qualifications and plan feasibility.",
    ),
    Rule(
        "R-WF-PUBLICITY",
        "第九条（七）",
        "揭榜协议经科技厅审查后须公示，异议均未成立方可签约。",
        "The agreement is reviewed by the department and publicised; it is signed only when "
        "no objection has been upheld.",
    ),
    Rule(
        "R-WF-SIGN-ALL",
        "第九条（七）",
        "项目成立前，揭榜协议须由供需双方签署，任务书须由双方与科技厅共同签署。",
        "Before a project exists, both sides sign the agreement, and both sides and the "
        "department sign the task book.",
    ),
    Rule(
        "R-WF-EM-SIMPLIFIED",
        "第九条",
        "应急类项目可由科技厅简化程序，但每个省略的环节都须留痕。",
        "Emergency projects may follow a shortened procedure, provided every skipped step is "
        "recorded.",
    ),
    # 第十条、第十一条: who pays and how much.
    Rule(
        "R-FUND-AGREEMENT-MIN",
        "第十条",
        "揭榜协议金额一般不低于研发总投入的30%。",
        "The agreement amount should be at least 30% of the total R&D investment.",
        waivable=True,
    ),
    Rule(
        "R-FUND-EM-FISCAL",
        "第十条",
        "应急类项目以财政资金为主，不受30%的比例限制，但补助仍不得超过研发总投入。",
        "Emergency projects are funded mainly by the subsidy and are exempt from the 30% "
        "ratios, but the subsidy still may not exceed the total R&D investment.",
    ),
    Rule(
        "R-FUND-RATIO-CAP",
        "第十一条",
        "财政补助一般不超过研发总投入的30%。",
        "The subsidy should not exceed 30% of the total R&D investment.",
        waivable=True,
    ),
    Rule(
        "R-FUND-ABS-CAP",
        "第十一条",
        "单个项目的财政补助一般不超过1000万元。",
        "The subsidy of a single project should not exceed CNY 10 million.",
        waivable=True,
    ),
    Rule(
        "R-FUND-CASE-BY-CASE",
        "第十一条",
        "特别重大项目可经有据可查的“一事一议”决定补助额度并突破上限，但补助不得超过研发总投入。",
        "An especially major project may have its subsidy set by a recorded case-by-case "
        "decision that lifts the caps, never above the total R&D investment.",
    ),
    # 第十二条: disbursement.
    Rule(
        "R-DISB-FIRST-PAYMENT",
        "第十二条",
        "需求方向供给方支付首笔协议款且付款凭证经核验后，方可拨付财政补助。",
        "No subsidy is paid before the demand side has made its first agreed payment to the "
        "supply side and the proof has been verified.",
    ),
    Rule(
        "R-DISB-FIRST-RATIO",
        "第十二条",
        "首笔补助按需求方首笔付款占协议金额的比例计算。",
        "The first tranche is the subsidy times the first payment's share of the agreement amount.",
    ),
    Rule(
        "R-DISB-FINAL-AFTER-ACCEPTANCE",
        "第十二条",
        "剩余补助在项目通过验收或综合绩效评价后才能拨付。",
        "The rest of the subsidy is paid only after the project passes acceptance or "
        "performance evaluation.",
    ),
    Rule(
        "R-DISB-NEVER-EXCEED",
        "第十二条",
        "任何情况下累计拨付都不得超过核定补助额。",
        "Disbursements never add up to more than the approved subsidy, whatever the retries "
        "or concurrent requests.",
    ),
    # 第十三条、第十四条: use of the subsidy, management.
    Rule(
        "R-FUND-USE",
        "第十三条",
        "补助预算和支出只能列入关键技术研发、中间试验、新产品开发、推广风险补偿、技术标准制定五类用途。",
        "Subsidy budgets and spending use only key technology R&D, pilot testing, new product "
        "development, promotion risk compensation and technical standard setting.",
    ),
    Rule(
        "R-MGMT-AGENCY",
        "第十四条",
        "受托第三方机构只能处理委托给它的项目。",
        "An entrusted agency acts only on the projects entrusted to it.",
    ),
    # 第十五条: integrity and IP.
    Rule(
        "R-ELIG-NO-DISHONESTY",
        "第十五条",
        "发榜方、揭榜方及联合体成员均不得有生效的严重失信记录，提交、申请、签约和每次拨付时均须核查。",
        "No proposer, solver or consortium member may have an active serious-dishonesty "
        "record; checked at submission, application, signing and every disbursement.",
    ),
    Rule(
        "R-AGR-IP-TERMS",
        "第十五条",
        "揭榜协议和任务书须约定知识产权归属和利益分配。",
        "The agreement and the task book must settle IP ownership and benefit sharing.",
    ),
    # 第十六条: duration and change.
    Rule(
        "R-TIME-TB-36M",
        "第十六条",
        "技术攻关类项目周期一般不超过36个月。",
        "A technology-breakthrough project should last no more than 36 months.",
        waivable=True,
    ),
    Rule(
        "R-TIME-AT-24M",
        "第十六条",
        "成果转化类项目周期一般不超过24个月。",
        "An achievement-transfer project should last no more than 24 months.",
        waivable=True,
    ),
    Rule(
        "R-CHG-FORCE-MAJEURE",
        "第十六条",
        "项目仅因不可抗力、经双方一致同意并报科技厅批准，方可延期或终止。",
        "A project is extended or terminated only for force majeure, with both sides agreeing "
        "and the department approving.",
    ),
    Rule(
        "R-CHG-TERMINATION-AUDIT",
        "第十六条",
        "终止的项目须经专项审计，已拨补助扣除审定的合规支出后予以收回。",
        "A terminated project is specially audited, and the disbursed subsidy beyond the "
        "audited eligible spending is recovered.",
    ),
    # 第十七条: misconduct.
    Rule(
        "R-INTEG-MISCONDUCT",
        "第十七条",
        "项目涉及造假或骗取财政资金的，冻结拨付，并可能记入严重失信记录。",
        "A misconduct case freezes the project's disbursements and may lead to a "
        "serious-dishonesty record.",
    ),
    # 第十九条: entry into force.
    Rule(
        "R-POLICY-VERSION",
        "第十九条",
        "比例、上限、周期和公示期等政策参数按生效日期分版本管理，项目沿用立项时的版本。",
        "Policy parameters (ratios, caps, durations, publicity period) are versioned by "
        "effective date, and each project keeps the version it was decided under.",
    ),
    # The service's own rules.
    Rule(
        "R-ORG-USCC",
        USCC_STANDARD,
        "统一社会信用代码须为18位合法字符且校验位正确，第3至8位为登记地区码。",
        "A unified social credit code has 18 valid characters and a correct check digit; "
        "characters 3 to 8 are the registration region.",
    ),
    Rule(
        "R-LIST-WINDOW",
        SERVICE_RULE,
        "只在榜单的揭榜期限内受理揭榜申请。",
        "Applications are accepted only while the listing's application window is open.",
    ),
)

RULES_BY_ID: Mapping[str, Rule] = MappingProxyType({rule.id: rule for rule in RULES})
