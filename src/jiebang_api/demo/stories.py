"""The later stages of the demo: listings taken through review, agreement, notice, signing,
money and the project's end, through the API as the accounts whose steps they are. The
sandbox clock passes each public notice (it is set back to the real time afterwards)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jiebang_api.agreements import notice
from jiebang_api.demo import cast
from jiebang_api.demo.cast import Account
from jiebang_api.demo.steps import Seeder, StepFailed, step
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.policies import calendar as calendars

PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
ADMIN = cast.ADMIN.username
# A = 3,000,000.00 of T = 10,000,000.00; the department grants S = 1,000,000.00.
DECISION = {
    "subsidy": "1000000.00",
    "total_rd_investment_verified": True,
    "agreement_verified": True,
}


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


class Stories:
    """Technology breakthroughs of the proposer's, taken up by the university."""

    def __init__(self, seeder: Seeder, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.s = seeder
        self.sessions = sessions
        self.demand, self.supply = cast.PROPOSER, cast.UNIVERSITY

    # The clock and files -------------------------------------------------------------------------

    async def now(self) -> datetime:
        clock = await self.s.call("GET", "/sandbox/clock", ADMIN)
        return datetime.fromisoformat(clock["now"])

    async def set_clock(self, instant: datetime) -> None:
        await self.s.call("POST", "/sandbox/clock", ADMIN, {"set_to": instant.isoformat()})

    async def upload(self, who: Account, name: str = "签字页.pdf") -> str:
        response = await self.s.http.post(
            "/api/v1/attachments",
            files={"file": (name, PDF, "application/pdf")},
            headers=self.s.tokens[who.username],
        )
        if response.status_code != 201:
            raise StepFailed(f"upload as {who.username}: {response.text}")
        return str(response.json()["id"])

    # Listing to recommendation -------------------------------------------------------------------

    async def closed_with_application(self, title: str) -> tuple[str, str]:
        """A listing published, applied to by the university and closed early; its path and
        the application's id."""
        now = await self.now()
        where, _ = await self.s.listing(title)
        window = {
            "application_opens_at": (now - timedelta(days=1)).isoformat(),
            "application_closes_at": (now + timedelta(days=30)).isoformat(),
        }
        proposer = self.demand.username
        await self.s.move(
            where,
            step("submit", proposer),
            step("screen", passed=True, comment="符合征集方向"),
            step("assessments", assessor="张教授", conclusion="support"),
            step("approve"),
            step("confirm", proposer),
            step("publish", **window),
        )
        application = await self.s.application(where, "university", self.supply)
        await self.s.call("POST", f"{where}/close", ADMIN, {"reason": "征集结束"})
        return where, application.rsplit("/", 1)[1]

    async def review(
        self, listing: str, application_id: str, *, scored_by: int = 3, recommend: bool = True
    ) -> str:
        """A round of the three experts with the proposer's reviewer; `scored_by` of them score.
        With all three, the department closes it and proposes the application (or no one),
        and the proposer's reviewer confirms. Returns the round's path."""
        body = {
            "expert_user_ids": [self.s.users[e.username] for e in cast.EXPERTS],
            "proposer_reviewer_user_ids": [self.s.users[self.demand.username]],
        }
        opened = await self.s.call("POST", f"{listing}/review-rounds", ADMIN, body, 201)
        sheet = {c["key"]: str(Decimal(c["max_score"]) - 5) for c in opened["criteria"]}
        for expert in cast.EXPERTS[:scored_by]:
            mine = await self.s.call("GET", "/review-assignments", expert.username)
            assignment = next(a for a in mine["items"] if a["review_round_id"] == opened["id"])
            await self.s.call(
                "POST",
                f"/review-assignments/{assignment['id']}/scores",
                expert.username,
                {"scores": sheet, "comment": "方案可行"},
            )
        where = f"/review-rounds/{opened['id']}"
        if scored_by == len(cast.EXPERTS):
            await self.s.call("POST", f"{where}/close", ADMIN, {})
            chosen = {"application_ids": [application_id] if recommend else []}
            await self.s.call("POST", f"{where}/recommendation", ADMIN, chosen)
            await self.s.call("POST", f"{where}/recommendation/confirm", self.demand.username, {})
        return where

    # Agreement to project ------------------------------------------------------------------------

    async def agreement(self, application_id: str) -> dict[str, Any]:
        """Negotiated, confirmed by both sides, submitted and approved onto public notice."""
        today = (await self.now()).date()
        minutes = {"held_on": today.isoformat(), "participants": ["双方"], "minutes": "议定条款"}
        await self.s.call(
            "POST",
            f"/applications/{application_id}/negotiations",
            self.supply.username,
            minutes,
            201,
        )
        start = today + timedelta(days=7)
        milestone = start + timedelta(days=300)
        terms = {
            "application_id": application_id,
            "agreement_amount": "3000000.00",
            "total_rd_investment": "10000000.00",
            "requested_subsidy": "2000000.00",
            "start_on": start.isoformat(),
            "duration_months": 24,
            "payment_schedule": [
                {
                    "seq": 1,
                    "amount": "1000000.00",
                    "due_on": start.isoformat(),
                    "condition": "签约后",
                },
                {
                    "seq": 2,
                    "amount": "2000000.00",
                    "due_on": milestone.isoformat(),
                    "condition": "中试通过",
                },
            ],
            "ip_ownership": "新成果归需求方所有",
            "benefit_sharing": "产业化收益按 7:3 分配",
            "milestones": [
                {
                    "title": "中试",
                    "due_on": milestone.isoformat(),
                    "deliverable": "中试报告",
                    "kpi": "良率≥95%",
                }
            ],
            "budget_lines": [
                {"category": "key_tech_rd", "amount": "1500000.00"},
                {"category": "pilot_test", "amount": "500000.00"},
            ],
        }
        made = await self.s.call("POST", "/agreements", self.supply.username, terms, 201)
        where = f"/agreements/{made['id']}"
        for side in (self.demand, self.supply):
            await self.s.call("POST", f"{where}/confirm", side.username, {})
        await self.s.call("POST", f"{where}/submit", self.supply.username, {})
        return await self.s.call("POST", f"{where}/approve", ADMIN, {})

    async def object(self, agreement: dict[str, Any]) -> None:
        """A member of the public objects during the notice (Art. 9 (6))."""
        objection = {
            "filer_name": "张三",
            "filer_kind": "individual",
            "contact": "13800000000",
            "grounds": "揭榜方团队负责人存在科研失信记录，请核查。",
        }
        response = await self.s.http.post(
            f"/api/v1/public/notices/{agreement['id']}/objections", json=objection
        )
        if response.status_code != 201:
            raise StepFailed(f"objection: {response.text}")

    async def signed_project(self, title: str) -> str:
        """A listing taken to a signed project; the project's path."""
        listing, application = await self.closed_with_application(title)
        await self.review(listing, application)
        agreement = await self.agreement(application)
        ends = datetime.fromisoformat(agreement["objections_close_at"])
        await self.set_clock(ends + timedelta(seconds=1))
        where = f"/agreements/{agreement['id']}/signatures"
        signed: dict[str, Any] = {}
        for document, party, who in (
            ("agreement", "demand", self.demand),
            ("agreement", "supply", self.supply),
            ("task_book", "demand", self.demand),
            ("task_book", "supply", self.supply),
            ("task_book", "department", cast.ADMIN),
        ):
            body = {"document": document, "party": party, "attachment_id": await self.upload(who)}
            signed = await self.s.call("POST", where, who.username, body, 201, headers=key())
        return f"/projects/{signed['project_id']}"

    async def first_tranche(self, project: str) -> None:
        """The subsidy decided, the demand side's first payment verified, the first tranche
        paid: S × P1 / A = 1,000,000.00 × 1,000,000.00 / 3,000,000.00 = 333,333.33."""
        await self.s.call("POST", f"{project}/funding-decision", ADMIN, DECISION, 201)
        read = await self.s.call("GET", project, ADMIN)
        payment = {
            "instalment_seq": 1,
            "amount": "1000000.00",
            "paid_on": (await self.now()).date().isoformat(),
            "payee_org_id": read["supply_org_id"],
            "proof_attachment_id": await self.upload(self.demand, "付款凭证.pdf"),
        }
        paid = await self.s.call("POST", f"{project}/payments", self.demand.username, payment, 201)
        await self.s.call("POST", f"/payments/{paid['id']}/verify", ADMIN, {"accepted": True})
        await self.s.call(
            "POST", f"{project}/disbursements", ADMIN, {"tranche": "first"}, 201, headers=key()
        )

    async def complete(self, project: str) -> None:
        """Reports reviewed, acceptance passed, the final tranche paid: completed."""
        today = (await self.now()).date()
        milestones = await self.s.call("GET", f"{project}/milestones", self.supply.username)
        met = [
            {"milestone_id": m["id"], "status": "met", "note": "中试完成"}
            for m in milestones["items"]
        ]
        period = {"period_start": today.isoformat(), "period_end": today.isoformat()}
        reports = (
            {"kind": "progress", "summary": "中试完成。", "milestone_updates": met, **period},
            {
                "kind": "expenditure",
                "summary": "首笔补助支出。",
                "expenditures": [
                    {"category": "key_tech_rd", "amount": "300000.00"},
                    {"category": "pilot_test", "amount": "33333.33"},
                ],
                **period,
            },
        )
        for body in reports:
            made = await self.s.call("POST", f"{project}/reports", self.supply.username, body, 201)
            review = {"outcome": "accepted", "comment": "同意"}
            await self.s.call("POST", f"/reports/{made['id']}/review", ADMIN, review)
        await self.s.call(
            "POST",
            f"{project}/acceptance",
            self.demand.username,
            {"summary": "申请验收"},
            201,
            headers=key(),
        )
        result = {"method": "acceptance", "outcome": "passed", "score": "90.0", "comments": "达标"}
        await self.s.call("POST", f"{project}/acceptance/result", ADMIN, result)
        await self.s.call(
            "POST", f"{project}/disbursements", ADMIN, {"tranche": "final"}, 201, headers=key()
        )

    async def terminate(self, project: str) -> None:
        """Force majeure: termination asked by the supply side, consented, approved; the
        special audit finds 120,000.00 of the 333,333.33 paid eligible; 213,333.33 comes
        back in two payments, and the project is terminated."""
        termination = {
            "kind": "termination",
            "reason_category": "force_majeure",
            "description": "地震致试验基地损毁，项目无法继续实施。",
            "attachment_ids": [],
        }
        filed = await self.s.call(
            "POST", f"{project}/change-requests", self.supply.username, termination, 201
        )
        at = f"/change-requests/{filed['id']}"
        await self.s.call("POST", f"{at}/consent", self.demand.username, None)
        await self.s.call("POST", f"{at}/approve", ADMIN, {})
        audit = {
            "audited_eligible_spending": "120000.00",
            "auditor": "内蒙古演示会计师事务所",
            "report_attachment_id": await self.upload(cast.ADMIN, "审计报告.pdf"),
        }
        await self.s.call("POST", f"{project}/special-audits", ADMIN, audit, 201)
        for amount in ("100000.00", "113333.33"):
            body = {
                "amount": amount,
                "paid_on": (await self.now()).date().isoformat(),
                "proof_attachment_id": await self.upload(cast.ADMIN, "退款凭证.pdf"),
            }
            await self.s.call("POST", f"{project}/recoveries", ADMIN, body, 201, headers=key())

    # The stories -------------------------------------------------------------------------------

    async def projects(self) -> None:
        """Back 120 days, then forward through each notice: a project just signed, one in
        progress with its first tranche paid, one completed, one terminated with its subsidy
        recovered, and a listing that failed (no solver recommended)."""
        await self.set_clock((await self.now()) - timedelta(days=120))
        just_signed = "稀土合金熔炼装备关键技术（演示：实施中，未拨款）"
        await self.signed_project(just_signed)
        self.s.report.add("projects", just_signed)
        for title, then in (
            ("稀土永磁电机驱动关键技术（演示：实施中）", None),
            ("稀土抛光粉提纯关键技术（演示：已完成）", self.complete),
            ("稀土储氢材料关键技术（演示：已终止）", self.terminate),
        ):
            project = await self.signed_project(title)
            await self.first_tranche(project)
            if then is not None:
                await then(project)
            self.s.report.add("projects", title)
        listing, application = await self.closed_with_application(
            "稀土催化材料关键技术（演示：流榜）"
        )
        await self.review(listing, application, recommend=False)
        self.s.report.add("listings", "稀土催化材料关键技术（演示：流榜）")
        await self.s.call("POST", "/sandbox/clock", ADMIN, {"reset": True})

    async def approval_day(self) -> date:
        """The latest day before today whose agreement approval opens a public notice that
        takes objections today (working days, holidays and the department's calendar)."""
        today = (await self.now()).astimezone(SHANGHAI).date()
        async with self.sessions() as session:
            known = await calendars.calendar(session)
        for back in range(1, 31):
            day = today - timedelta(days=back)
            period = notice.notice_after(known, day, notice.DEFAULT_WORKING_DAYS)
            if period.starts_on <= today <= period.ends_on:
                return day
        raise StepFailed("no day in the last month opens a notice running today")

    async def in_review_and_on_notice(self) -> None:
        """A listing whose review round two of the three experts have scored (today), and an
        agreement approved on an earlier day whose public notice runs today, with an
        objection filed today."""
        in_review = "稀土永磁回收利用关键技术（演示：评审中）"
        listing, application = await self.closed_with_application(in_review)
        await self.review(listing, application, scored_by=2)
        self.s.report.add("review rounds", "稀土永磁回收利用关键技术：两位专家已评分")
        approved_on = await self.approval_day()
        await self.set_clock(datetime.combine(approved_on, time(10), SHANGHAI))
        on_notice = "稀土功能材料检测技术（演示：公示中）"
        listing, application = await self.closed_with_application(on_notice)
        await self.review(listing, application)
        agreement = await self.agreement(application)
        await self.s.call("POST", "/sandbox/clock", ADMIN, {"reset": True})
        await self.object(agreement)
        self.s.report.add("agreements", "稀土功能材料检测技术：公示中，有一件异议")
