"""The rule catalogue: every rule of the measures (and of the service itself), its articles,
what it does, what it rests on and where it is checked — pure, written by hand.

Ids and article numbers follow the measures (the Chinese text is the authority); the
summaries are the service's own wording. Rules that the measures state "in principle"
(原则上) are `waivable`: the department may lift them case by case, by an explicit, audited
decision. A rule's `kind` is what a breach of it does under the measures (stop the action,
inform, or flag a priority); where a live check of a blocking rule only informs (a listing's
time requirement, a declaration not yet verified), its summary says so. A rule's `basis` is
`text` when it says what the measures say, `reading` when it
is the service's reading of them (an invariant, or the department's reading of a general
clause); a `reading` note names any part of a textual rule that goes beyond the words.
`enforced_at` lists the use cases that check the rule (`listing.submit`,
`application.submit`, …); it is empty while no code checks it, so a client can tell a live
rule from a planned one. Three rules are the service's own: R-ORG-USCC cites the national
standard of the code, R-LIST-WINDOW and R-APP-MEMBER-CONSENT cite `SERVICE_RULE`.

Every id cited anywhere in `jiebang_api` must be listed here with one of its articles, and
the use cases that reach a citation must be exactly the rule's `enforced_at` (checked by
`tests/unit/test_rule_catalogue.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from jiebang_api.kit.labels import labelled

SERVICE_RULE = "本系统规则"
USCC_STANDARD = "GB 32100-2015"

# Values of a policy version that the department sets: the measures fix neither the day a
# version takes effect (第十九条 says "from issuance", the seed's date awaits the issued
# document) nor the length of the publicity period (第九条（七） says only "公示"), nor how
# the two review criteria weigh (第九条（五） names them only).
DEPARTMENT_CONFIGURABLE = ("effective_on", "publicity_working_days", "review_qualification_max")


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


@labelled(
    {
        "text": ("办法原文", "The text"),
        "reading": ("本系统解读", "A reading"),
    }
)
class RuleBasis(StrEnum):
    """What a rule rests on: the words of the measures, or the service's reading of them."""

    TEXT = "text"
    READING = "reading"


@labelled(
    {
        "organization.create": ("登记单位", "Register an organisation"),
        "organization.update": ("修改单位信息", "Edit an organisation"),
        "listing.submit": ("提交榜单", "Submit a listing"),
        "listing.approve": ("论证通过", "Approve a listing"),
        "listing.publish": ("发布榜单", "Publish a listing"),
        "eligibility.check": ("揭榜资格预检", "Check eligibility (dry run)"),
        "application.submit": ("提交揭榜申请", "Submit an application"),
        "review_round.open": ("开启评审", "Open a review round"),
        "review_round.confirm": ("确认推荐名单", "Confirm the recommendation"),
        "agreement.confirm": ("确认揭榜协议", "Confirm an agreement"),
        "agreement.submit": ("提交揭榜协议", "Submit an agreement"),
        "agreement.approve": ("审查通过揭榜协议", "Approve an agreement"),
        "objection.file": ("对公示提出异议", "Object to a public notice"),
        "agreement.sign": ("签署协议或任务书", "Sign the agreement or the task book"),
        "funding.calculate": ("补助测算", "Calculate a subsidy"),
        "project.decide_funding": ("核定补助", "Decide a project's subsidy"),
        "payment.record": ("登记协议付款", "Record a payment to the supply side"),
        "project.disburse": ("拨付补助", "Disburse a tranche"),
        "listing.recommend_without_review": ("省略评审直接推荐", "Recommend without review"),
        "acceptance.decide": ("记录验收结论", "Record the acceptance result"),
        "misconduct_case.open": ("立案调查失信行为", "Open a misconduct case"),
        "misconduct_case.close": ("办结失信行为案件", "Close a misconduct case"),
        "change_request.file": ("申请延期或终止", "File a change request"),
        "change_request.approve": ("批准变更申请", "Approve a change request"),
        "project.special_audit": ("登记专项审计", "Record the special audit"),
        "project.recover": ("登记补助收回", "Record a recovery of subsidy"),
        "project.write_off_recovery": ("核销无法收回的补助", "Write off a recovery"),
        "report.submit": ("提交项目报告", "Submit a project report"),
        "report.review": ("审查项目报告", "Review a project report"),
    }
)
class UseCase(StrEnum):
    """A use case that checks rules (its audit action, or `eligibility.check` for the dry run)."""

    ORGANIZATION_CREATE = "organization.create"
    ORGANIZATION_UPDATE = "organization.update"
    LISTING_SUBMIT = "listing.submit"
    LISTING_APPROVE = "listing.approve"
    LISTING_PUBLISH = "listing.publish"
    ELIGIBILITY_CHECK = "eligibility.check"
    APPLICATION_SUBMIT = "application.submit"
    REVIEW_ROUND_OPEN = "review_round.open"
    REVIEW_ROUND_CONFIRM = "review_round.confirm"
    AGREEMENT_CONFIRM = "agreement.confirm"
    AGREEMENT_SUBMIT = "agreement.submit"
    AGREEMENT_APPROVE = "agreement.approve"
    OBJECTION_FILE = "objection.file"
    AGREEMENT_SIGN = "agreement.sign"
    FUNDING_CALCULATE = "funding.calculate"
    FUNDING_DECIDE = "project.decide_funding"
    PAYMENT_RECORD = "payment.record"
    DISBURSE = "project.disburse"
    RECOMMEND_WITHOUT_REVIEW = "listing.recommend_without_review"
    ACCEPTANCE_DECIDE = "acceptance.decide"
    MISCONDUCT_OPEN = "misconduct_case.open"
    MISCONDUCT_CLOSE = "misconduct_case.close"
    CHANGE_FILE = "change_request.file"
    CHANGE_APPROVE = "change_request.approve"
    SPECIAL_AUDIT = "project.special_audit"
    RECOVER = "project.recover"
    WRITE_OFF = "project.write_off_recovery"
    REPORT_SUBMIT = "report.submit"
    REPORT_REVIEW = "report.review"


@dataclass(frozen=True)
class Rule:
    id: str
    articles: tuple[str, ...]
    summary_zh: str
    summary_en: str
    waivable: bool = False
    kind: RuleKind = RuleKind.BLOCK
    basis: RuleBasis = RuleBasis.TEXT
    enforced_at: tuple[UseCase, ...] = ()
    reading_zh: str | None = None
    reading_en: str | None = None

    @property
    def article(self) -> str:
        """The first (or only) article; a finding cites the one that applies."""
        return self.articles[0]


U = UseCase
READING = RuleBasis.READING
_LISTING_CONTENT = (U.LISTING_SUBMIT, U.LISTING_PUBLISH)  # the text may change until publication
_PARTIES = (U.ELIGIBILITY_CHECK, U.APPLICATION_SUBMIT)
# The terms, each time a step takes them further: confirmation, submission, approval.
_AGREEMENT = (U.AGREEMENT_CONFIRM, U.AGREEMENT_SUBMIT, U.AGREEMENT_APPROVE)
# The caps: on the agreement's terms, and wherever a subsidy is worked out.
_CAPS = (*_AGREEMENT, U.FUNDING_CALCULATE, U.FUNDING_DECIDE)

RULES: tuple[Rule, ...] = (
    # 第四条: the kinds of listing and who may take them up.
    Rule(
        "R-ELIG-NOT-SUBSIDIARY",
        ("第四条（一）", "第四条（二）"),
        "揭榜方（牵头单位及每个联合体成员）不得是发榜方本身或其任一层级的下属单位"
        "（技术攻关类依第四条（一），成果转化类依第四条（二））。",
        "No solver, lead or consortium member, may be the proposer itself or a subsidiary "
        "of it at any level (Art. 4 (1) for a technology breakthrough, Art. 4 (2) for an "
        "achievement transfer).",
        enforced_at=_PARTIES,
    ),
    Rule(
        "R-ELIG-TB-SOLVER-TYPE",
        ("第四条（一）",),
        "技术攻关类的揭榜方及其联合体成员须为“4+8+N”合作主体（任何类型），或高校、科研院所、"
        "科技型企业、创新联合体；企业既无经核验的“科技型企业”标识、也无经核验的“高新技术企业”"
        "标识（高新技术企业即属科技型企业）时提示评审。",
        "A technology-breakthrough solver and each consortium member must be a 4+8+N partner "
        "(of any type), or a university, research institute, technology-based enterprise or "
        "innovation consortium; an enterprise with neither a verified technology-based flag "
        "nor a verified high-tech flag (a high-tech enterprise is technology-based) is flagged "
        "to reviewers.",
        enforced_at=_PARTIES,
    ),
    Rule(
        "R-ELIG-AT-SOLVER-ENTERPRISE",
        ("第四条（二）",),
        "成果转化类的牵头揭榜单位须为自治区内的企业。",
        "The lead solver of an achievement transfer must be an enterprise located in the region.",
        enforced_at=_PARTIES,
    ),
    Rule(
        "R-ELIG-AT-ENTERPRISE-LED",
        ("第四条（二）",),
        "高校、科研院所可作为成员参与成果转化，但应以企业为主：联合体中企业的预算份额合计低于"
        "高校和科研院所合计时提示评审。",
        "Universities and institutes may join an achievement transfer as members, but "
        "enterprises lead: when the enterprises' budget shares together are smaller than the "
        "universities' and institutes' together, reviewers are alerted.",
        kind=RuleKind.WARNING,
        enforced_at=(U.APPLICATION_SUBMIT,),
    ),
    Rule(
        "R-ELIG-AT-PROPOSER-TYPE",
        ("第四条（二）",),
        "成果转化类发榜方（成果持有方）须为“4+8+N”合作主体（任何类型），或拥有自主知识产权的"
        "高校、科研院所、科技型企业；企业既无经核验的“科技型企业”也无经核验的“高新技术企业”"
        "标识时提示论证专家。提交时核查，发布前再次核查。",
        "An achievement-transfer proposer, the holder of the achievement, must be a 4+8+N "
        "partner (of any type), or a university, research institute or technology-based "
        "enterprise owning the IP; an enterprise with neither a verified technology-based nor "
        "a verified high-tech flag is flagged to assessors. Checked at submission and again "
        "before publication.",
        enforced_at=_LISTING_CONTENT,
    ),
    # 第五条: the proposer of a technology breakthrough.
    Rule(
        "R-ELIG-TB-PROPOSER",
        ("第五条",),
        "技术攻关类发榜方须为区内具有独立法人资格的企业，或在内蒙古纳税的中央企业分公司。",
        "A technology-breakthrough proposer must be an in-region enterprise that is its own "
        "legal person, or a branch of a central state enterprise paying tax in the region.",
        enforced_at=(U.LISTING_SUBMIT,),
    ),
    Rule(
        "R-ELIG-TB-PROPOSER-SCALE",
        ("第五条（一）",),
        "发榜企业一般应为行业或领域内有较大影响和规模的企业或高新技术企业；两者皆非时仅提示论证专家。",
        "The proposer is generally an enterprise of considerable influence and scale in its "
        "field, or a high-tech enterprise; only when it is neither are assessors alerted, "
        "nothing is blocked.",
        kind=RuleKind.WARNING,
        enforced_at=(U.LISTING_SUBMIT,),
    ),
    # 第六条: the solver of a technology breakthrough.
    Rule(
        "R-ELIG-TB-PLAN",
        ("第六条（一）",),
        "揭榜申请须针对榜单提出的难题给出切实可行的攻关方案。",
        "An application must carry a workable plan for the problem the listing states.",
        enforced_at=(U.APPLICATION_SUBMIT,),
    ),
    Rule(
        "R-ELIG-TB-TEAM",
        ("第六条（二）",),
        "揭榜申请须说明能帮助需求方把成果落地的经验和团队。",
        "An application must name the experience and team that will help the demand side "
        "put the result to use.",
        enforced_at=(U.APPLICATION_SUBMIT,),
    ),
    Rule(
        "R-ELIG-PRIORITY",
        ("第六条（三）",),
        "技术攻关类榜单中，与自治区人民政府签署战略合作协议的单位获鼓励标注，供评审参考；"
        "“4+8+N”合作主体身份不构成此项标注，其他类别榜单不作标注；对任何签署单位"
        "（不限于“4+8+N”合作主体）均予标注是本系统的解读。",
        "On technology-breakthrough listings, units with a strategic cooperation agreement "
        "with the regional government are flagged to reviewers as encouraged applicants; "
        "being a 4+8+N partner is not this flag, and no other kind of listing gets it; "
        "flagging any signatory, not only 4+8+N partners, is a reading.",
        kind=RuleKind.PRIORITY,
        enforced_at=_PARTIES,
        reading_zh="原文鼓励签署了战略合作协议的“合作主体”揭榜；对任何签署单位（不限于"
        "“4+8+N”合作主体）均予标注是本系统的解读。",
        reading_en="The text encourages the cooperation partners that signed a strategic "
        "agreement; flagging any signatory, not only 4+8+N partners, is the service's reading.",
    ),
    # 第七条: the proposer of an achievement transfer.
    Rule(
        "R-ELIG-AT-LAYOUT",
        ("第七条（一）",),
        "拟转化成果须符合自治区发展总体布局、应用方向明确、能推动产业转型升级：榜单须写明应用方向"
        "和预期产业带动作用（提交和发布时核查）；论证意见记录科技厅是否符合布局的判断，"
        "至少一条论证意见作出判断且最近一次判断为符合，方可论证通过（阻断）。",
        "The achievement must fit the region's overall development layout, have a clear "
        "application direction and drive industrial upgrading: the listing states the "
        "application direction and the expected industrial effect (checked at submission and "
        "publication); assessment opinions record the department's judgement of the fit, and "
        "approval is blocked until at least one has judged it and the latest judgement is "
        "that it fits.",
        enforced_at=(U.LISTING_SUBMIT, U.LISTING_APPROVE, U.LISTING_PUBLISH),
    ),
    Rule(
        "R-ELIG-AT-OWN-IP",
        ("第七条（二）",),
        "发榜方须是拟转化成果全部知识产权记录的权利人；科技厅在发布前仍可修改知识产权记录，"
        "故提交时核查，发布前再次核查。",
        "The proposer must be the holder of every IP record of the achievement on offer; the "
        "department may edit the records until publication, so this is checked at submission "
        "and again before publication.",
        enforced_at=_LISTING_CONTENT,
    ),
    Rule(
        "R-ELIG-AT-SERVICE-TEAM",
        ("第七条（三）",),
        "成果转化类榜单须写明发榜方的成果转化技术服务团队或可支撑转化的第三方机构。",
        "An achievement-transfer listing names the proposer's transfer service team or the "
        "third-party institution that supports the transfer.",
        enforced_at=_LISTING_CONTENT,
    ),
    # 第八条: the taker of an achievement transfer.
    Rule(
        "R-ELIG-AT-DEMAND-TEAM",
        ("第八条（一）",),
        "承接成果的企业须有胜任转化工作的人才团队，在申请中申报、由评审判断。",
        "The enterprise taking up the achievement must have a capable transfer team, declared "
        "in the application and judged in review.",
        enforced_at=(U.APPLICATION_SUBMIT,),
    ),
    Rule(
        "R-ELIG-AT-DEMAND-RESOURCES",
        ("第八条（二）",),
        "承接成果的企业须能提供转化所需的资金、场地和市场渠道。",
        "The enterprise taking up the achievement must be able to provide the funds, site and "
        "market channels the transfer needs.",
        enforced_at=(U.APPLICATION_SUBMIT,),
    ),
    # 第九条: the workflow.
    Rule(
        "R-LIST-FIELDS",
        ("第九条（一）", "第三条"),
        "榜单须写明所属产业领域（第三条：聚焦自治区重点产业、重点领域）、背景、关键技术及其指标、"
        "成果转化内容与形式（成果转化类）、时限要求、研发总投入、"
        "对双方的要求、知识产权归属和利益分配；各类榜单发布前均须核查，无论经由何种程序。",
        "A listing must state its industry (Art. 3: it serves the region's key industries and "
        "fields), its background, key technologies with target metrics, transfer "
        "content and form (achievement transfer), time requirement, total R&D investment, "
        "requirements on both sides, IP ownership and benefit sharing; checked for every kind "
        "before publication, whatever path the listing took.",
        enforced_at=_LISTING_CONTENT,
        reading_zh="解读：研发总投入为0不构成投入，须大于0。",
        reading_en="Reading: a total R&D investment of 0 is not an investment; it must be above 0.",
    ),
    Rule(
        "R-WF-ASSESS",
        ("第九条（二）",),
        "科技厅对申报的榜单初步筛选并组织论证，论证后方可通过（应急类可简化）。",
        "The department screens the listings proposed and organises their assessment; a "
        "listing is approved only after assessment (emergency listings may skip it).",
        enforced_at=(U.LISTING_APPROVE,),
        reading_zh="解读：至少一条论证意见记录在案，即视为已组织论证。",
        reading_en="Reading: at least one recorded assessment opinion counts as the assessment "
        "having been organised.",
    ),
    Rule(
        "R-WF-PUBLISH-JOINT",
        ("第九条（三）",),
        "榜单终稿经发榜方确认后方可发布（应急类除外）。",
        "A listing is published only after the proposer has confirmed its final text "
        "(emergency listings excepted).",
        enforced_at=(U.LISTING_PUBLISH,),
    ),
    Rule(
        "R-APP-PLAN",
        ("第九条（四）",),
        "各类揭榜申请提交前均须填报实施方案（技术路线、里程碑、预算和团队）。",
        "Every application, of every kind, carries an implementation plan (approach, "
        "milestones, budget, team) before it is submitted.",
        enforced_at=(U.APPLICATION_SUBMIT,),
        reading_zh="解读：预算为0不构成预算，须大于0。",
        reading_en="Reading: a budget of 0 is no budget; it must be above 0.",
    ),
    Rule(
        "R-WF-RECOMMEND-JOINT",
        ("第九条（五）",),
        "拟推荐名单由科技厅与发榜方共同审查揭榜方资质和方案可行性后产生。",
        "The recommended applicants are chosen by the department and the proposer together, "
        "after reviewing qualifications and plan feasibility.",
        enforced_at=(U.REVIEW_ROUND_OPEN, U.REVIEW_ROUND_CONFIRM),
    ),
    Rule(
        "R-WF-PUBLICITY",
        ("第九条（七）",),
        "揭榜协议经科技厅审查后须公示，公示无异议方可签约。",
        "The agreement is reviewed by the department and publicised; it is signed only when "
        "there is no objection.",
        reading_zh="解读：经科技厅审查不成立的异议视为无异议。",
        reading_en="Reading: objections that the department dismisses after review count as none.",
        enforced_at=(U.AGREEMENT_APPROVE, U.OBJECTION_FILE),
    ),
    Rule(
        "R-WF-SIGN-ALL",
        ("第九条（七）",),
        "项目成立前，揭榜协议须由供需双方签署，任务书须由双方与科技厅共同签署。",
        "Before a project exists, both sides sign the agreement, and both sides and the "
        "department sign the task book.",
        enforced_at=(U.AGREEMENT_SIGN,),
    ),
    Rule(
        "R-WF-EM-SIMPLIFIED",
        ("第九条",),
        "应急类项目可由科技厅简化程序，但每个省略的环节都须留痕；省略环节不省略榜单内容。",
        "Emergency projects may follow a shortened procedure, provided every skipped step is "
        "recorded; skipping steps never skips the listing's content.",
        enforced_at=(
            U.LISTING_APPROVE,
            U.LISTING_PUBLISH,
            U.RECOMMEND_WITHOUT_REVIEW,
            U.AGREEMENT_APPROVE,
        ),
    ),
    # 第十条、第十一条: who pays and how much.
    Rule(
        "R-FUND-AGREEMENT-MIN",
        ("第十条",),
        "揭榜协议金额原则上不少于研发总投入的30%。",
        "The agreement amount should in principle be at least 30% of the total R&D investment.",
        waivable=True,
        enforced_at=_AGREEMENT,
    ),
    Rule(
        "R-FUND-EM-FISCAL",
        ("第十条",),
        "应急类项目以财政科技资金保障为主，并鼓励企业和社会资本共同投入；"
        "解读：因此不受第十条、第十一条30%比例的约束，"
        "1000万元上限原则上仍适用。",
        "Emergency projects are funded mainly by the fiscal S&T funds, and enterprises and "
        "social capital are encouraged to co-invest; read as: the 30% ratios "
        "of Art. 10 and 11 do not bind them, the CNY 10 million cap still applies in principle.",
        basis=READING,
        enforced_at=(U.FUNDING_CALCULATE, U.FUNDING_DECIDE, U.PAYMENT_RECORD),
        reading_zh="办法原文只规定以财政资金为主；不受30%比例约束是本系统的解读。",
        reading_en="The text says only that fiscal funds are the main source; the exemption "
        "from the 30% ratios is the service's reading.",
    ),
    Rule(
        "R-FUND-RATIO-CAP",
        ("第十一条",),
        "财政补助原则上不超过研发总投入的30%。",
        "The subsidy should in principle not exceed 30% of the total R&D investment.",
        waivable=True,
        reading_zh="解读（服务不变式）：任何项目的补助均不得超过研发总投入（S ≤ T）。",
        reading_en="Reading (a service invariant): no project's subsidy exceeds the total R&D "
        "investment (S <= T).",
        enforced_at=_CAPS,
    ),
    Rule(
        "R-FUND-ABS-CAP",
        ("第十一条",),
        "单个项目的财政补助原则上不超过1000万元。",
        "The subsidy of a single project should in principle not exceed CNY 10 million.",
        waivable=True,
        enforced_at=_CAPS,
    ),
    Rule(
        "R-FUND-CASE-BY-CASE",
        ("第十一条",),
        "特别重大项目可经有据可查的“一事一议”决定资助额度，突破比例和金额上限。",
        "An especially major project may have its subsidy set by a recorded case-by-case "
        "decision that lifts the ratio and amount caps.",
        reading_zh="解读：即使一事一议，补助仍不超过研发总投入（S ≤ T），"
        "此为本系统不变式，非办法原文。",
        reading_en="Reading: even then the subsidy never exceeds the total R&D investment "
        "(S <= T); a service invariant, not the text.",
        enforced_at=_CAPS,
    ),
    # 第十二条: disbursement.
    Rule(
        "R-DISB-FIRST-PAYMENT",
        ("第十二条",),
        "需求方向供给方支付首笔协议款且付款凭证经核验后，方可拨付财政补助。",
        "No subsidy is paid before the demand side has made its first agreed payment to the "
        "supply side and the proof has been verified.",
        enforced_at=(U.DISBURSE,),
    ),
    Rule(
        "R-DISB-FIRST-RATIO",
        ("第十二条",),
        "首笔补助按需求方首笔付款占协议金额的比例计算。",
        "The first tranche is the subsidy times the first payment's share of the agreement amount.",
        enforced_at=(U.FUNDING_CALCULATE, U.FUNDING_DECIDE, U.DISBURSE),
    ),
    Rule(
        "R-DISB-FINAL-AFTER-ACCEPTANCE",
        ("第十二条",),
        "剩余补助在项目通过验收或综合绩效评价后才能拨付。",
        "The rest of the subsidy is paid only after the project passes acceptance or "
        "performance evaluation.",
        enforced_at=(U.DISBURSE,),
    ),
    Rule(
        "R-DISB-NEVER-EXCEED",
        ("第十二条",),
        "任何情况下累计拨付都不得超过核定补助额。",
        "Disbursements never add up to more than the approved subsidy, whatever the retries "
        "or concurrent requests.",
        enforced_at=(U.DISBURSE,),
    ),
    # 第十三条、第十四条: use of the subsidy, management.
    Rule(
        "R-FUND-USE",
        ("第十三条",),
        "补助预算和支出只能列入关键技术研发、中间试验、新产品开发、推广风险补偿、技术标准制定五类用途。",
        "Subsidy budgets and spending use only key technology R&D, pilot testing, new product "
        "development, promotion risk compensation and technical standard setting.",
        enforced_at=(*_AGREEMENT, U.REPORT_SUBMIT),
        reading_zh="项目各经费支出报告（退回修改的除外）所报补助支出合计不得超过已拨付的补助，"
        "此上限为本系统对第十三条的解读。",
        reading_en="The subsidy a project's expenditure reports (those not returned for "
        "revision) say was spent never adds up to more than was disbursed: this bound is the "
        "service's reading of Art. 13.",
    ),
    Rule(
        "R-MGMT-AGENCY",
        ("第十四条",),
        "受托第三方机构只能处理委托给它的项目。",
        "An entrusted agency acts only on the projects entrusted to it.",
        enforced_at=(U.REPORT_REVIEW, U.ACCEPTANCE_DECIDE, U.SPECIAL_AUDIT),
    ),
    # 第十五条: integrity and IP.
    Rule(
        "R-ELIG-NO-DISHONESTY",
        ("第十五条",),
        "发榜方、揭榜方及联合体成员均不得有生效的严重失信记录；于榜单提交、揭榜资格预检、揭榜申请"
        "提交、签约（签字方）和每次拨付（受资助方）时核查。",
        "No proposer, solver or consortium member may have an active serious-dishonesty "
        "record; checked at listing submission, the eligibility dry run, application "
        "submission, signing (the signing side) and every disbursement (the recipient).",
        enforced_at=(
            U.LISTING_SUBMIT,
            U.ELIGIBILITY_CHECK,
            U.APPLICATION_SUBMIT,
            U.AGREEMENT_SIGN,
            U.DISBURSE,
        ),
    ),
    Rule(
        "R-AGR-IP-TERMS",
        ("第十五条",),
        "揭榜协议和任务书须约定知识产权归属和利益分配。",
        "The agreement and the task book must settle IP ownership and benefit sharing.",
        enforced_at=_AGREEMENT,
    ),
    # 第十六条: duration and change.
    Rule(
        "R-TIME-TB-36M",
        ("第十六条",),
        "技术攻关类项目实施周期原则上不超过三年（36个月）。榜单提交和发布时，时限要求超过的仅提示"
        "论证专家、不阻断；协议期限超过的，协议确认和提交时阻断（可豁免）。",
        "A technology-breakthrough project should in principle last no more than 3 years (36 "
        "months). At listing submission and publication a longer time requirement is a "
        "warning for assessors, never a block; a longer agreement duration blocks the "
        "agreement's confirmation and submission unless waived.",
        waivable=True,
        enforced_at=(*_LISTING_CONTENT, *_AGREEMENT),
    ),
    Rule(
        "R-TIME-AT-24M",
        ("第十六条",),
        "成果转化类项目实施周期原则上不超过二年（24个月）。榜单提交和发布时，时限要求超过的仅提示"
        "论证专家、不阻断；协议期限超过的，协议确认和提交时阻断（可豁免）。",
        "An achievement-transfer project should in principle last no more than 2 years (24 "
        "months). At listing submission and publication a longer time requirement is a "
        "warning for assessors, never a block; a longer agreement duration blocks the "
        "agreement's confirmation and submission unless waived.",
        waivable=True,
        enforced_at=(*_LISTING_CONTENT, *_AGREEMENT),
    ),
    Rule(
        "R-CHG-FORCE-MAJEURE",
        ("第十六条",),
        "项目仅因不可抗力、经双方一致同意并报科技厅审核同意，方可延期或终止。",
        "A project is extended or terminated only for force majeure, with both sides agreeing "
        "and the department approving.",
        enforced_at=(U.CHANGE_FILE, U.CHANGE_APPROVE),
    ),
    Rule(
        "R-CHG-TERMINATION-AUDIT",
        ("第十六条",),
        "终止的项目须经专项审计，已拨补助扣除审定的合规支出后予以收回。",
        "A terminated project is specially audited, and the disbursed subsidy beyond the "
        "audited eligible spending is recovered.",
        reading_zh="解读：第十六条只规定收回剩余补助；无法收回时（如受资助方破产），"
        "科技厅只能以有据可查、经审计的核销决定（理由和文件）结案，此为本系统的解读。",
        reading_en="Reading: Art. 16 says only that the remaining subsidy is recovered; a "
        "recovery that cannot be completed (e.g. the recipient's insolvency) the department "
        "closes only by a recorded, audited write-off decision with its reason and document, "
        "which is the service's reading.",
        enforced_at=(U.DISBURSE, U.SPECIAL_AUDIT, U.RECOVER, U.WRITE_OFF),
    ),
    # 第十七条: misconduct.
    Rule(
        "R-INTEG-MISCONDUCT",
        ("第十七条",),
        "弄虚作假或串通骗取财政资金的，依法查处；解读：立案期间冻结项目拨付，处理结果可记入严重失信记录。",
        "Fraud or collusion to obtain the subsidy is investigated and punished under the law; "
        "read as: while a case is open the project's disbursements are frozen, and a sanction "
        "may record a serious-dishonesty record.",
        basis=READING,
        reading_zh="冻结拨付是本系统的预防措施，办法原文未作规定。",
        reading_en="The freeze of disbursements is the service's precaution; the text does not "
        "provide for it.",
        enforced_at=(U.DISBURSE, U.MISCONDUCT_OPEN, U.MISCONDUCT_CLOSE),
    ),
    # 第十九条: entry into force.
    Rule(
        "R-POLICY-VERSION",
        ("第十九条",),
        "比例、上限、周期和公示期等政策参数按生效日期分版本管理，项目沿用立项时的版本。",
        "Policy parameters (ratios, caps, durations, publicity period) are versioned by "
        "effective date, and each project keeps the version it was decided under.",
        reading_zh="生效日期和公示期长度由科技厅设定，办法未作规定（预置版本的生效日期待按印发文件核定）。",
        reading_en="The effective date and the length of the publicity period are set by the "
        "department, not fixed by the measures (the seeded version's date awaits the issued "
        "document).",
    ),
    # The service's own rules.
    Rule(
        "R-ORG-USCC",
        (USCC_STANDARD,),
        "统一社会信用代码须为18位合法字符且校验位正确，第3至8位为登记地区码。",
        "A unified social credit code has 18 valid characters and a correct check digit; "
        "characters 3 to 8 are the registration region.",
        enforced_at=(U.ORGANIZATION_CREATE, U.ORGANIZATION_UPDATE),
    ),
    Rule(
        "R-LIST-WINDOW",
        (SERVICE_RULE,),
        "只在榜单的揭榜期限内受理揭榜申请。",
        "Applications are accepted only while the listing's application window is open.",
        enforced_at=(U.LISTING_PUBLISH, U.APPLICATION_SUBMIT),
    ),
    Rule(
        "R-APP-MEMBER-CONSENT",
        (SERVICE_RULE,),
        "联合体的每个成员单位须由其单位管理员确认参加（接受邀请）后，揭榜申请方可提交；成员拒绝的，"
        "须由牵头单位将其移除。牵头单位新增成员或变更其预算份额，即重新邀请该成员。第九条（四）"
        "允许联合其他单位共同揭榜，但未规定联合体协议：此为本系统规则。",
        "Each consortium member must have accepted its invitation, by a manager of the member "
        "organisation, before the application can be submitted; a member that declined must "
        "be removed by the lead. Adding a member or changing its budget share invites it "
        "afresh. Art. 9 (4) lets units apply jointly but prescribes no consortium agreement: "
        "this is the service's own rule.",
        enforced_at=(U.APPLICATION_SUBMIT,),
    ),
)

RULES_BY_ID: Mapping[str, Rule] = MappingProxyType({rule.id: rule for rule in RULES})
