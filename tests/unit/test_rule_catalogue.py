"""The rule catalogue: well-formed, and consistent with every rule the code cites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jiebang_api.rules.catalogue import (
    RULES,
    RULES_BY_ID,
    SERVICE_RULE,
    USCC_STANDARD,
    Rule,
    RuleKind,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "jiebang_api"
CATALOGUE = SRC / "rules" / "catalogue.py"

ID = re.compile(r"^R-[A-Z0-9-]+$")
CITED = re.compile(r"\bR-[A-Z0-9]+(?:-[A-Z0-9]+)+")
ARTICLE = re.compile(r"^第[一二三四五六七八九十]+条(?:（[一二三四五六七八九十]+）)?$")
# `rule="R-…"` followed (within the same call) by `article="…"`.
RULE_KEYWORD = re.compile(r'\brule="(R-[A-Z0-9-]+)"')
ARTICLE_KEYWORD = re.compile(r'\barticle="([^"]*)"')
# Two adjacent literals, the id then its article: `"R-…", "第…"` (positional arguments,
# tuples).
RULE_THEN_ARTICLE = re.compile(r'"(R-[A-Z0-9-]+)",\s*"(第[^"]*)"')
WINDOW = 200


def sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p.resolve() != CATALOGUE.resolve())


def relative(path: Path) -> str:
    return str(path.relative_to(SRC.parent))


def test_ids_are_unique_and_well_formed() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not ID.match(i)] == []
    assert set(RULES_BY_ID) == set(ids)
    assert all(RULES_BY_ID[rule.id] is rule for rule in RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_summaries_and_an_article(rule: Rule) -> None:
    assert rule.summary_zh.strip()
    assert rule.summary_en.strip()
    assert rule.summary_en.isascii(), rule.summary_en
    assert rule.article.strip()
    assert ARTICLE.match(rule.article) or rule.article in (USCC_STANDARD, SERVICE_RULE)


def test_waivable_rules_are_exactly_the_in_principle_ones() -> None:
    assert {r.id for r in RULES if r.waivable} == {
        "R-FUND-AGREEMENT-MIN",
        "R-FUND-RATIO-CAP",
        "R-FUND-ABS-CAP",
        "R-TIME-TB-36M",
        "R-TIME-AT-24M",
    }


def test_kinds() -> None:
    assert RULES_BY_ID["R-ELIG-TB-PROPOSER-SCALE"].kind is RuleKind.WARNING
    assert RULES_BY_ID["R-ELIG-PRIORITY"].kind is RuleKind.PRIORITY
    assert RULES_BY_ID["R-ELIG-NOT-SUBSIDIARY"].kind is RuleKind.BLOCK
    assert [r.id for r in RULES if r.kind is RuleKind.PRIORITY] == ["R-ELIG-PRIORITY"]


def test_the_service_rules_cite_their_source() -> None:
    assert RULES_BY_ID["R-ORG-USCC"].article == "GB 32100-2015"
    assert RULES_BY_ID["R-LIST-WINDOW"].article == SERVICE_RULE


def test_the_scan_finds_citations() -> None:
    """Guard the scan itself: it reads the sources and sees the known citations."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources())
    assert "R-ORG-USCC" in set(CITED.findall(text))
    assert ("R-LIST-FIELDS", "第九条（一）") in set(RULE_THEN_ARTICLE.findall(text))
    assert RULE_KEYWORD.search(text)


def test_every_rule_the_code_cites_is_in_the_catalogue() -> None:
    unknown = [
        f"{relative(path)}: {cited}"
        for path in sources()
        for cited in sorted(set(CITED.findall(path.read_text(encoding="utf-8"))))
        if cited not in RULES_BY_ID
    ]
    assert unknown == [], "rules cited in code but missing from the catalogue"


def _cited_articles(text: str) -> list[tuple[str, str]]:
    found = RULE_THEN_ARTICLE.findall(text)
    for match in RULE_KEYWORD.finditer(text):
        after = text[match.end() : match.end() + WINDOW]
        # Stay within this citation: stop at the next one.
        after = re.split(r"\brule=|Violation\(", after, maxsplit=1)[0]
        article = ARTICLE_KEYWORD.search(after)
        if article:
            found.append((match.group(1), article.group(1)))
    return found


def test_code_and_catalogue_cite_the_same_article() -> None:
    wrong = [
        f"{relative(path)}: {rule} cited with {article}, catalogue says {RULES_BY_ID[rule].article}"
        for path in sources()
        for rule, article in _cited_articles(path.read_text(encoding="utf-8"))
        if rule in RULES_BY_ID and RULES_BY_ID[rule].article != article
    ]
    assert wrong == []


def test_the_article_check_catches_a_mismatch() -> None:
    text = 'Violation(m, rule="R-ELIG-TB-PROPOSER", article="第六条", field="x")'
    assert _cited_articles(text) == [("R-ELIG-TB-PROPOSER", "第六条")]
    assert RULES_BY_ID["R-ELIG-TB-PROPOSER"].article != "第六条"
