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
    assert set(items[0]) == {"id", "article", "summary_zh", "summary_en", "waivable", "kind"}

    subsidiary = by_id["R-ELIG-NOT-SUBSIDIARY"]
    assert subsidiary["article"] == "第四条（一）"
    assert subsidiary["kind"] == "block"
    assert subsidiary["waivable"] is False
    assert subsidiary["summary_zh"]
    assert subsidiary["summary_en"]

    assert by_id["R-FUND-RATIO-CAP"]["waivable"] is True
    assert by_id["R-ELIG-PRIORITY"]["kind"] == "priority"
    assert by_id["R-ELIG-TB-PROPOSER-SCALE"]["kind"] == "warning"


async def test_the_rule_kinds_are_labelled(client: httpx.AsyncClient) -> None:
    enums = (await client.get("/api/v1/meta/enums")).json()["items"]
    kinds = next(e for e in enums if e["name"] == "RuleKind")
    assert [v["value"] for v in kinds["values"]] == ["block", "warning", "priority"]
