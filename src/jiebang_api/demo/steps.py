"""The demo's building blocks: each step an API call, in process, as the demo account whose
step it is; and the report of what was made."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from jiebang_api.demo import cast
from jiebang_api.demo.cast import Account, Org

API = "/api/v1"


class StepFailed(Exception):
    """A step of the seeding was not answered as expected."""


@dataclass
class Report:
    """What a run did: nothing (the demo is there already), or what it made."""

    nothing_to_do: bool = False
    made: dict[str, list[str]] = field(default_factory=dict)

    def add(self, what: str, item: str) -> None:
        self.made.setdefault(what, []).append(item)


# A listing's workflow step: (operation, who takes it, body).
Step = tuple[str, str, dict[str, Any]]


def step(operation: str, who: str = cast.ADMIN.username, **body: Any) -> Step:
    return operation, who, body


@dataclass
class Seeder:
    """The steps, over HTTP to the app in process, each as the account whose step it is."""

    http: httpx.AsyncClient
    report: Report
    users: dict[str, str] = field(default_factory=dict)  # username → id
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    orgs: dict[str, str] = field(default_factory=dict)

    async def call(
        self,
        method: str,
        path: str,
        who: str | None,
        json: Any = None,
        expect: int = 200,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        sent = {**(self.tokens[who] if who else {}), **(headers or {})}
        response = await self.http.request(method, API + path, json=json, headers=sent)
        if response.status_code != expect:
            raise StepFailed(f"{method} {path} as {who}: {response.status_code} {response.text}")
        return dict(response.json()) if response.content else {}

    async def sign_in(self, username: str) -> None:
        form = {"grant_type": "password", "username": username, "password": cast.PASSWORD}
        response = await self.http.post(f"{API}/auth/token", data=form)
        if response.status_code != 200:
            raise StepFailed(f"sign-in of {username}: {response.text}")
        self.tokens[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}

    # People and organisations -----------------------------------------------------------------

    async def accounts(self) -> None:
        await self.sign_in(cast.ADMIN.username)
        for account in cast.ACCOUNTS[1:]:
            await self._user(account)
            await self.sign_in(account.username)
        for account in cast.ACCOUNTS:
            self.report.add("accounts", f"{account.username} ({account.display_name})")

    async def _user(self, account: Account) -> None:
        body = {
            "username": account.username,
            "password": cast.PASSWORD,
            "display_name": account.display_name,
            "roles": list(account.roles),
        }
        made = await self.call("POST", "/users", cast.ADMIN.username, body, 201)
        self.users[account.username] = str(made["id"])

    async def organisation(self, org: Org, manager: Account, parent: str | None = None) -> str:
        """Registered by its manager, then verified by the department (if `org.verified`)."""
        body: dict[str, Any] = {
            "name": org.name,
            "uscc": org.uscc,
            "type": org.type,
            **dict.fromkeys(org.flags, True),
            "parent_org_id": parent,
        }
        made = await self.call("POST", "/organizations", manager.username, body, 201)
        org_id = str(made["id"])
        if org.verified:
            await self.call("POST", f"/organizations/{org_id}/verify", cast.ADMIN.username, {})
        self.orgs[org.key] = org_id
        self.report.add("organisations", f"{org.name} ({org.uscc})")
        return org_id

    async def organisations(self) -> None:
        proposer = await self.organisation(cast.PROPOSER_ORG, cast.PROPOSER)
        await self.organisation(cast.SUBSIDIARY_ORG, cast.PROPOSER, parent=proposer)
        await self.organisation(cast.UNIVERSITY_ORG, cast.UNIVERSITY)
        await self.organisation(cast.INSTITUTE_ORG, cast.INSTITUTE)
        await self.organisation(cast.ENTERPRISE_ORG, cast.ENTERPRISE)
        await self.organisation(cast.AGENCY_ORG, cast.AGENCY)

    # Listings -----------------------------------------------------------------------------------

    async def listing(self, title: str, kind: str = "tech_breakthrough") -> tuple[str, str]:
        """A draft; returns its path and its author."""
        if kind == "emergency":
            body = {**cast.LISTING_TEXT, "kind": kind, "proposer_org_id": None, "title": title}
            author = cast.ADMIN.username
        elif kind == "achievement_transfer":
            records = [
                {
                    "kind": "invention_patent",
                    "number": "ZL202110123456.7",
                    "title": "一种高矫顽力钕铁硼磁体的制备方法",
                    "holder": cast.UNIVERSITY_ORG.name,
                }
            ]
            body = {
                **cast.LISTING_TEXT,
                **cast.TRANSFER_TEXT,
                "kind": kind,
                "proposer_org_id": self.orgs["university"],
                "title": title,
                "ip_records": records,
            }
            author = cast.UNIVERSITY.username
        else:
            body = {
                **cast.LISTING_TEXT,
                "kind": kind,
                "proposer_org_id": self.orgs["proposer"],
                "title": title,
            }
            author = cast.PROPOSER.username
        made = await self.call("POST", "/listings", author, body, 201)
        self.report.add("listings", f"{made['code']} {title}")
        return f"/listings/{made['id']}", author

    async def move(self, where: str, *steps: Step) -> None:
        """Take each (operation, who, body) step of the listing in turn."""
        for operation, who, body in steps:
            expect = 201 if operation == "assessments" else 200
            await self.call("POST", f"{where}/{operation}", who, body, expect)

    async def listings(self, now: datetime) -> dict[str, str]:
        """One technology-breakthrough listing in each state before the window, one of each
        kind published; returns the published ones' paths by kind."""
        admin, proposer = cast.ADMIN.username, cast.PROPOSER.username
        submit, approve, confirm = (
            step("submit", proposer),
            step("approve"),
            step("confirm", proposer),
        )
        screen = step("screen", admin, passed=True, comment="符合征集方向")
        assess = step("assessments", admin, assessor="张教授", conclusion="support")
        window = {
            "application_opens_at": (now - timedelta(days=1)).isoformat(),
            "application_closes_at": (now + timedelta(days=30)).isoformat(),
        }
        publish = step("publish", admin, **window)
        to_publication = (submit, screen, assess, approve, confirm, publish)
        states: dict[str, tuple[Step, ...]] = {
            "草稿": (),
            "已提交": (submit,),
            "退回修改": (submit, step("return", reason="请补充技术指标的测试方法。")),
            "论证中": (submit, screen),
            "论证通过": (submit, screen, assess, approve),
            "已确认": (submit, screen, assess, approve, confirm),
            "不予通过": (submit, step("reject", reason="需求与征集方向不符。")),
            "已撤回": (submit, step("withdraw", proposer)),
            "已取消": (*to_publication, step("cancel", reason="发榜单位需求调整，取消征集。")),
        }
        for state, steps in states.items():
            where, _ = await self.listing(f"稀土永磁材料关键技术（演示：{state}）")
            await self.move(where, *steps)
        published = {}
        where, _ = await self.listing("高矫顽力稀土永磁材料制备关键技术（演示：征集中）")
        await self.move(where, submit, screen, assess, approve, confirm, publish)
        published["tech_breakthrough"] = where
        where, author = await self.listing(
            "晶界扩散技术成果转化（演示：征集中）", "achievement_transfer"
        )
        layout = step("assessments", admin, **assess[2], layout_fit=True)
        await self.move(
            where, step("submit", author), screen, layout, approve, step("confirm", author), publish
        )
        published["achievement_transfer"] = where
        where, _ = await self.listing("应急稀土供应保障技术（演示：征集中）", "emergency")
        await self.move(where, approve, publish)
        published["emergency"] = where
        return published

    # Applications -------------------------------------------------------------------------------

    async def application(
        self, listing: str, lead: str, who: Account, *, submit: bool = True, **extra: Any
    ) -> str:
        body = {
            "lead_org_id": self.orgs[lead],
            "lead_budget_share": "100",
            "plan": cast.PLAN,
            "declarations": cast.DECLARATIONS,
            "attachment_ids": [],
            **extra,
        }
        made = await self.call("POST", f"{listing}/applications", who.username, body, 201)
        where = f"/applications/{made['id']}"
        if submit:
            await self.call("POST", f"{where}/submit", who.username, {})
        return where

    async def applications(self, published: dict[str, str]) -> None:
        """On the published breakthrough: an eligible application (the university), one with
        warnings (the institute's facts are not verified), and a draft whose submission
        eligibility refuses (the proposer's own subsidiary, Art. 15); one on each other kind."""
        tb = published["tech_breakthrough"]
        await self.application(tb, "university", cast.UNIVERSITY)
        self.report.add("applications", "内蒙古演示大学 → 征集中的技术攻关榜单：已提交（符合条件）")
        await self.application(tb, "institute", cast.INSTITUTE)
        self.report.add("applications", "内蒙古演示材料研究院 → 同一榜单：已提交（有提示）")
        refused = await self.application(tb, "subsidiary", cast.PROPOSER, submit=False)
        answer = await self.http.post(
            f"{API}{refused}/submit", json={}, headers=self.tokens[cast.PROPOSER.username]
        )
        if answer.status_code != 422:
            raise StepFailed(f"the subsidiary's application was not refused: {answer.text}")
        self.report.add("applications", "包头演示稀土磁材 → 同一榜单：草稿，提交被拒（下属单位）")
        await self.application(published["achievement_transfer"], "enterprise", cast.ENTERPRISE)
        await self.application(published["emergency"], "institute", cast.INSTITUTE)
        self.report.add("applications", "成果转化与应急榜单：各一份已提交的申请")
