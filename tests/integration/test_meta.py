"""The meta endpoints: reference data for frontends."""

from __future__ import annotations

from typing import Any

import httpx

RULES = "/api/v1/meta/rules"


async def test_the_rule_catalogue_is_public(client: httpx.AsyncClient) -> None:
    response = await client.get(RULES)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    by_id = {item["id"]: item for item in items}
    assert len(by_id) == len(items)
    assert set(items[0]) == {
        "id",
        "articles",
        "summary_zh",
        "summary_en",
        "waivable",
        "kind",
        "basis",
        "reading_zh",
        "reading_en",
        "enforced_at",
    }

    subsidiary = by_id["R-ELIG-NOT-SUBSIDIARY"]
    assert subsidiary["articles"] == ["第四条（一）", "第四条（二）"]
    assert subsidiary["kind"] == "block"
    assert subsidiary["basis"] == "text"
    assert subsidiary["enforced_at"] == ["eligibility.check", "application.submit"]
    assert subsidiary["waivable"] is False
    assert subsidiary["summary_zh"]
    assert subsidiary["summary_en"]

    assert by_id["R-FUND-RATIO-CAP"]["waivable"] is True
    assert by_id["R-ELIG-PRIORITY"]["kind"] == "priority"
    assert by_id["R-ELIG-TB-PROPOSER-SCALE"]["kind"] == "warning"


# Every rule id of revision 2 of the measures' rendering, and the service's own two.
REVISION_2 = {
    "R-ELIG-TB-SOLVER-TYPE", "R-ELIG-NOT-SUBSIDIARY", "R-ELIG-AT-SOLVER-ENTERPRISE",
    "R-ELIG-AT-ENTERPRISE-LED", "R-ELIG-AT-PROPOSER-TYPE", "R-WF-EM-SIMPLIFIED",
    "R-ELIG-TB-PROPOSER", "R-ELIG-TB-PROPOSER-SCALE", "R-ELIG-TB-PLAN", "R-ELIG-TB-TEAM",
    "R-ELIG-PRIORITY", "R-ELIG-AT-LAYOUT", "R-ELIG-AT-OWN-IP", "R-ELIG-AT-SERVICE-TEAM",
    "R-ELIG-AT-DEMAND-TEAM", "R-ELIG-AT-DEMAND-RESOURCES", "R-LIST-FIELDS",
    "R-WF-PUBLISH-JOINT", "R-APP-PLAN", "R-WF-RECOMMEND-JOINT", "R-WF-PUBLICITY",
    "R-WF-SIGN-ALL", "R-FUND-AGREEMENT-MIN", "R-FUND-EM-FISCAL", "R-FUND-RATIO-CAP",
    "R-FUND-ABS-CAP", "R-FUND-CASE-BY-CASE", "R-DISB-FIRST-PAYMENT", "R-DISB-FIRST-RATIO",
    "R-DISB-FINAL-AFTER-ACCEPTANCE", "R-DISB-NEVER-EXCEED", "R-FUND-USE", "R-MGMT-AGENCY",
    "R-ELIG-NO-DISHONESTY", "R-AGR-IP-TERMS", "R-TIME-TB-36M", "R-TIME-AT-24M",
    "R-CHG-FORCE-MAJEURE", "R-CHG-TERMINATION-AUDIT", "R-INTEG-MISCONDUCT",
    "R-POLICY-VERSION", "R-ORG-USCC", "R-LIST-WINDOW",
}  # fmt: skip
# Added after revision 2: 第九条（二）'s assessment before approval, cited when it is missing;
# the service's rule that every consortium member accepts before submission.
ADDED = {"R-WF-ASSESS", "R-APP-MEMBER-CONSENT"}


async def test_every_rule_of_revision_2_is_served_with_basis_and_enforced_at(
    client: httpx.AsyncClient,
) -> None:
    items = (await client.get(RULES)).json()["items"]
    by_id = {item["id"]: item for item in items}
    assert set(by_id) == REVISION_2 | ADDED
    assert all(item["basis"] in ("text", "reading") for item in items)
    assert by_id["R-FUND-EM-FISCAL"]["basis"] == "reading"
    assert by_id["R-INTEG-MISCONDUCT"]["basis"] == "reading"
    assert by_id["R-APP-PLAN"]["articles"] == ["第九条（四）"]
    assert by_id["R-APP-PLAN"]["enforced_at"] == ["application.submit"]
    assert by_id["R-LIST-FIELDS"]["enforced_at"] == ["listing.submit", "listing.publish"]
    assert by_id["R-ELIG-AT-SERVICE-TEAM"]["enforced_at"] == ["listing.submit", "listing.publish"]
    assert by_id["R-LIST-FIELDS"]["articles"] == ["第九条（一）", "第三条"]
    assert by_id["R-WF-PUBLISH-JOINT"]["enforced_at"] == ["listing.publish"]
    assert by_id["R-WF-ASSESS"]["enforced_at"] == ["listing.approve"]
    assert by_id["R-WF-ASSESS"]["articles"] == ["第九条（二）"]
    consent = by_id["R-APP-MEMBER-CONSENT"]
    assert consent["articles"] == ["本系统规则"]  # the measures prescribe no consortium agreement
    assert consent["enforced_at"] == ["application.submit"]
    assert (consent["kind"], consent["basis"], consent["waivable"]) == ("block", "text", False)
    assert by_id["R-ELIG-AT-LAYOUT"]["enforced_at"] == [
        "listing.submit",
        "listing.approve",
        "listing.publish",
    ]
    assert by_id["R-ELIG-AT-LAYOUT"]["kind"] == "block"
    assert by_id["R-ELIG-AT-OWN-IP"]["enforced_at"] == ["listing.submit", "listing.publish"]
    assert by_id["R-APP-PLAN"]["reading_en"]
    # The agreement's terms are checked at each step that takes them further.
    assert by_id["R-FUND-RATIO-CAP"]["enforced_at"] == [
        "agreement.confirm",
        "agreement.submit",
        "agreement.approve",
        "funding.calculate",
        "project.decide_funding",
    ]
    # The case-by-case decision lifts the caps wherever they are checked.
    assert by_id["R-FUND-CASE-BY-CASE"]["enforced_at"] == by_id["R-FUND-RATIO-CAP"]["enforced_at"]
    assert by_id["R-WF-SIGN-ALL"]["enforced_at"] == ["agreement.sign"]
    assert by_id["R-DISB-NEVER-EXCEED"]["enforced_at"] == ["project.disburse"]
    assert by_id["R-INTEG-MISCONDUCT"]["enforced_at"] == [
        "project.disburse",
        "misconduct_case.open",
        "misconduct_case.close",
    ]
    # Planned rules say so: no code checks them yet.
    assert by_id["R-POLICY-VERSION"]["enforced_at"] == []
    # 第十六条: the change requests and the special audit and recovery check them.
    assert by_id["R-CHG-FORCE-MAJEURE"]["enforced_at"] == [
        "change_request.file",
        "change_request.approve",
    ]
    # An entrusted agency's scope is checked where it acts.
    assert by_id["R-MGMT-AGENCY"]["enforced_at"] == [
        "report.review",
        "acceptance.decide",
        "project.special_audit",
    ]
    assert by_id["R-FUND-USE"]["enforced_at"][-1] == "report.submit"
    assert "reading of Art. 13" in by_id["R-FUND-USE"]["reading_en"]


async def test_the_policy_seed_says_what_the_department_sets(client: httpx.AsyncClient) -> None:
    versions = (await client.get("/api/v1/policy-versions")).json()["items"]
    assert versions
    for version in versions:
        assert version["department_configurable"] == [
            "effective_on",
            "publicity_working_days",
            "review_qualification_max",
        ]
    # 第九条（五） weighs neither review criterion: the seed holds the 40 / 60 default.
    assert versions[-1]["review_qualification_max"] == "40.0"
    rule = {r["id"]: r for r in (await client.get(RULES)).json()["items"]}["R-POLICY-VERSION"]
    assert "公示期" in rule["reading_zh"]


async def test_the_rule_kinds_are_labelled(client: httpx.AsyncClient) -> None:
    enums = (await client.get("/api/v1/meta/enums")).json()["items"]
    kinds = next(e for e in enums if e["name"] == "RuleKind")
    assert [v["value"] for v in kinds["values"]] == ["block", "warning", "priority"]
