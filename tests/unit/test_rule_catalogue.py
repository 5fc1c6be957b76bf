"""The rule catalogue: well-formed, and consistent with every rule the code cites — with
one of the rule's articles, and from exactly the use cases its `enforced_at` names."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from jiebang_api.rules.catalogue import (
    RULES,
    RULES_BY_ID,
    SERVICE_RULE,
    USCC_STANDARD,
    Rule,
    RuleBasis,
    RuleKind,
    UseCase,
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
    assert rule.articles
    for article in rule.articles:
        assert ARTICLE.match(article) or article in (USCC_STANDARD, SERVICE_RULE)
    assert (rule.reading_zh is None) is (rule.reading_en is None)
    assert rule.reading_en is None or rule.reading_en.isascii()
    assert len(set(rule.enforced_at)) == len(rule.enforced_at)


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
    assert RULES_BY_ID["R-ORG-USCC"].articles == ("GB 32100-2015",)
    assert RULES_BY_ID["R-LIST-WINDOW"].articles == (SERVICE_RULE,)
    # 第九条（四） lets units apply jointly (联合其他单位共同揭榜) but asks for no consortium
    # agreement: each member's acceptance before submission is the service's own rule.
    consent = RULES_BY_ID["R-APP-MEMBER-CONSENT"]
    assert consent.articles == (SERVICE_RULE,)
    assert consent.enforced_at == (UseCase.APPLICATION_SUBMIT,)
    assert "service's own rule" in consent.summary_en
    assert "本系统规则" in consent.summary_zh


def test_revision_2_articles() -> None:
    """The articles as the measures state them (revision 2 of the rendering)."""
    assert RULES_BY_ID["R-ELIG-NOT-SUBSIDIARY"].articles == ("第四条（一）", "第四条（二）")
    assert RULES_BY_ID["R-ELIG-AT-PROPOSER-TYPE"].articles == ("第四条（二）",)
    assert RULES_BY_ID["R-ELIG-PRIORITY"].articles == ("第六条（三）",)
    assert RULES_BY_ID["R-ELIG-AT-SERVICE-TEAM"].articles == ("第七条（三）",)
    assert RULES_BY_ID["R-APP-PLAN"].articles == ("第九条（四）",)
    # 第三条 asks every listing to name its industry; 第九条（一） lists the rest.
    assert RULES_BY_ID["R-LIST-FIELDS"].articles == ("第九条（一）", "第三条")
    assert RULES_BY_ID["R-WF-ASSESS"].articles == ("第九条（二）",)
    assert RULES_BY_ID["R-WF-PUBLISH-JOINT"].articles == ("第九条（三）",)


def test_the_workflow_rules_are_live_where_the_workflow_checks_them() -> None:
    """第九条（二）（三）: approval after assessment, publication after the proposer's
    confirmation; an achievement's layout judged before approval (第七条（一）)."""
    assert RULES_BY_ID["R-WF-ASSESS"].enforced_at == (UseCase.LISTING_APPROVE,)
    assert RULES_BY_ID["R-WF-PUBLISH-JOINT"].enforced_at == (UseCase.LISTING_PUBLISH,)
    layout = RULES_BY_ID["R-ELIG-AT-LAYOUT"]
    assert UseCase.LISTING_APPROVE in layout.enforced_at
    assert layout.kind is RuleKind.BLOCK, "第七条: the supply side 应具备 it, no 原则上"
    for rule in ("R-ELIG-AT-OWN-IP", "R-ELIG-AT-PROPOSER-TYPE"):
        assert RULES_BY_ID[rule].enforced_at == (UseCase.LISTING_SUBMIT, UseCase.LISTING_PUBLISH)


@pytest.mark.parametrize("rule_id", ["R-TIME-TB-36M", "R-TIME-AT-24M"])
def test_the_duration_rules_warn_on_listings_and_block_agreements(rule_id: str) -> None:
    """第十六条 "原则上不超过": a waivable block on the agreement's duration, and a warning
    on a listing's time requirement — the summary says both."""
    rule = RULES_BY_ID[rule_id]
    assert rule.kind is RuleKind.BLOCK
    assert rule.waivable
    assert rule.enforced_at == (
        UseCase.LISTING_SUBMIT,
        UseCase.LISTING_PUBLISH,
        UseCase.AGREEMENT_CONFIRM,
        UseCase.AGREEMENT_SUBMIT,
        UseCase.AGREEMENT_APPROVE,
    )
    assert "warning" in rule.summary_en
    assert "never a block" in rule.summary_en
    assert "unless waived" in rule.summary_en
    assert "仅提示" in rule.summary_zh


def test_summaries_do_not_claim_what_is_not_live_or_not_the_text() -> None:
    dishonesty = RULES_BY_ID["R-ELIG-NO-DISHONESTY"]
    assert "every disbursement" in dishonesty.summary_en
    assert {UseCase.AGREEMENT_SIGN, UseCase.DISBURSE} <= set(dishonesty.enforced_at)
    priority = RULES_BY_ID["R-ELIG-PRIORITY"]
    assert "is a reading" in priority.summary_en
    assert priority.reading_zh
    assert priority.reading_en
    fiscal = RULES_BY_ID["R-FUND-EM-FISCAL"]
    assert "social capital" in fiscal.summary_en
    assert "社会资本" in fiscal.summary_zh
    solver = RULES_BY_ID["R-ELIG-TB-SOLVER-TYPE"]
    assert "verified high-tech" in solver.summary_en


def test_readings_say_so() -> None:
    """R-FUND-EM-FISCAL and the misconduct freeze are readings; S <= T is a reading wherever
    it is mentioned, and R-FUND-CASE-BY-CASE no longer claims it as text; T > 0 too."""
    readings = {r.id for r in RULES if r.basis is RuleBasis.READING}
    assert readings == {"R-FUND-EM-FISCAL", "R-INTEG-MISCONDUCT"}
    for rule in RULES:
        if rule.basis is RuleBasis.READING:
            assert rule.reading_zh
            assert rule.reading_en
    case_by_case = RULES_BY_ID["R-FUND-CASE-BY-CASE"]
    assert "研发总投入" not in case_by_case.summary_zh
    assert "S ≤ T" in (case_by_case.reading_zh or "")
    assert "0" in (RULES_BY_ID["R-LIST-FIELDS"].reading_zh or "")
    assert "0" in (RULES_BY_ID["R-APP-PLAN"].reading_zh or "")
    assert "公示期" in (RULES_BY_ID["R-POLICY-VERSION"].reading_zh or "")


def test_the_scan_finds_citations() -> None:
    """Guard the scan itself: it reads the sources and sees the known citations."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources())
    assert "R-ORG-USCC" in set(CITED.findall(text))
    assert ("R-LIST-FIELDS", "第九条（一）") in set(RULE_THEN_ARTICLE.findall(text))
    assert ("R-LIST-FIELDS", "第三条") in set(RULE_THEN_ARTICLE.findall(text))
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
        if rule in RULES_BY_ID and article not in RULES_BY_ID[rule].articles
    ]
    assert wrong == []


def test_the_article_check_catches_a_mismatch() -> None:
    text = 'Violation(m, rule="R-ELIG-TB-PROPOSER", article="第六条", field="x")'
    assert _cited_articles(text) == [("R-ELIG-TB-PROPOSER", "第六条")]
    assert "第六条" not in RULES_BY_ID["R-ELIG-TB-PROPOSER"].articles


# --- enforced_at: which use cases reach which citations ----------------------------------
#
# A citation is a string literal that is exactly a rule id, outside docstrings, in the
# domain packages (the API layer only describes rules: descriptions and examples). Each
# citation belongs to the top-level definition (function, class or assignment) it is in;
# a use case reaches every definition its entry function refers to, transitively, through
# the module's own names and what it imports from `jiebang_api`. The use cases that reach a
# rule's citations must be exactly its `enforced_at`, and every citation must be reached.

PACKAGE = "jiebang_api"
NOT_ENFORCING = ("api", "rules", "cli.py", "main.py", "__main__.py", "asgi.py")
# Each use case and the function that runs it.
ENTRIES: dict[UseCase, tuple[str, str]] = {
    UseCase.ORGANIZATION_CREATE: ("jiebang_api.organizations.service", "create"),
    UseCase.ORGANIZATION_UPDATE: ("jiebang_api.organizations.service", "update"),
    UseCase.LISTING_SUBMIT: ("jiebang_api.listings.service", "submit"),
    UseCase.LISTING_APPROVE: ("jiebang_api.listings.service", "approve"),
    UseCase.LISTING_PUBLISH: ("jiebang_api.listings.service", "publish"),
    UseCase.ELIGIBILITY_CHECK: ("jiebang_api.applications.service", "check"),
    UseCase.APPLICATION_SUBMIT: ("jiebang_api.applications.service", "submit"),
    UseCase.REVIEW_ROUND_OPEN: ("jiebang_api.reviews.service", "open_round"),
    UseCase.REVIEW_ROUND_CONFIRM: ("jiebang_api.reviews.service", "confirm"),
    UseCase.AGREEMENT_CONFIRM: ("jiebang_api.agreements.service", "confirm"),
    UseCase.AGREEMENT_SUBMIT: ("jiebang_api.agreements.service", "submit"),
    UseCase.AGREEMENT_APPROVE: ("jiebang_api.agreements.review", "approve"),
    UseCase.OBJECTION_FILE: ("jiebang_api.agreements.objections", "file"),
    UseCase.AGREEMENT_SIGN: ("jiebang_api.projects.signing", "sign"),
    UseCase.FUNDING_CALCULATE: ("jiebang_api.projects.calculator", "calculate"),
    UseCase.FUNDING_DECIDE: ("jiebang_api.projects.decisions", "decide"),
    UseCase.PAYMENT_RECORD: ("jiebang_api.projects.payments", "record"),
    UseCase.DISBURSE: ("jiebang_api.projects.disbursements", "disburse"),
    UseCase.RECOMMEND_WITHOUT_REVIEW: ("jiebang_api.reviews.direct", "recommend"),
    UseCase.ACCEPTANCE_DECIDE: ("jiebang_api.projects.acceptance", "decide"),
    UseCase.MISCONDUCT_OPEN: ("jiebang_api.projects.integrity", "open_case"),
    UseCase.MISCONDUCT_CLOSE: ("jiebang_api.projects.integrity", "close_case"),
    UseCase.CHANGE_FILE: ("jiebang_api.projects.changes", "file"),
    UseCase.CHANGE_APPROVE: ("jiebang_api.projects.changes", "approve"),
    UseCase.SPECIAL_AUDIT: ("jiebang_api.projects.audits", "record_audit"),
    UseCase.RECOVER: ("jiebang_api.projects.audits", "recover"),
    UseCase.WRITE_OFF: ("jiebang_api.projects.audits", "write_off"),
    UseCase.REPORT_SUBMIT: ("jiebang_api.projects.reports", "submit"),
    UseCase.REPORT_REVIEW: ("jiebang_api.projects.reports", "review"),
}
Node = tuple[str, str]  # (module, top-level name)


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [statement.name]
    if isinstance(statement, ast.Assign | ast.AnnAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return []


class Graph:
    """Top-level definitions of the package: what each refers to, and the rules it cites."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.refs: dict[Node, set[Node]] = {}
        self.cites: dict[Node, set[str]] = {}
        self.stray: list[str] = []
        for module, text in texts.items():
            self._read(module, ast.parse(text))

    def _read(self, module: str, tree: ast.Module) -> None:
        docstrings = _docstrings(tree)
        imported: dict[str, Node] = {}  # local name -> (module, name) or (module, "")
        for statement in tree.body:
            for node in ast.walk(statement):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
                    for alias in node.names:
                        imported[alias.asname or alias.name] = (node.module or "", alias.name)
        own = {name for statement in tree.body for name in _names(statement)}
        for statement in tree.body:
            names = _names(statement)
            cited = {
                node.value
                for node in ast.walk(statement)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ID.match(node.value)
                and id(node) not in docstrings
            }
            if not names:
                self.stray += [f"{module}: {rule}" for rule in sorted(cited)]
                continue
            refs = set()
            for node in ast.walk(statement):
                if isinstance(node, ast.Name):
                    if node.id in own:
                        refs.add((module, node.id))
                    elif node.id in imported:
                        refs.add(imported[node.id])
                elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    target = imported.get(node.value.id)
                    if target is not None:  # `rules.required_fields`: a module's member
                        refs.add((f"{target[0]}.{target[1]}", node.attr))
            for name in names:
                self.refs.setdefault((module, name), set()).update(refs)
                self.cites.setdefault((module, name), set()).update(cited)

    def reach(self, start: Node) -> set[Node]:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node in seen or node not in self.refs:
                continue
            seen.add(node)
            todo += self.refs[node]
        return seen

    def cited_by(self, start: Node) -> set[str]:
        return {rule for node in self.reach(start) for rule in self.cites[node]}

    def citations(self) -> Iterator[tuple[Node, str]]:
        for node, rules in self.cites.items():
            for rule in rules:
                yield node, rule


def _enforcing_sources() -> dict[str, str]:
    return {
        _module_name(path): path.read_text(encoding="utf-8")
        for path in sources()
        if path.relative_to(SRC).parts[0] not in NOT_ENFORCING
    }


def _derived(graph: Graph) -> dict[str, set[UseCase]]:
    found: dict[str, set[UseCase]] = {}
    for use_case, entry in ENTRIES.items():
        assert entry in graph.refs, f"{use_case}: no {entry[0]}.{entry[1]}"
        for rule in graph.cited_by(entry):
            found.setdefault(rule, set()).add(use_case)
    return found


def _drift(graph: Graph) -> list[str]:
    derived = _derived(graph)
    problems = []
    for rule in RULES:
        declared, actual = set(rule.enforced_at), derived.get(rule.id, set())
        for use_case in sorted(actual - declared):
            what = "empty `enforced_at`" if not declared else "`enforced_at` without it"
            problems.append(f"{rule.id} is cited by {use_case}, {what}")
        for use_case in sorted(declared - actual):
            problems.append(f"{rule.id} names {use_case}, whose code never cites it")
    reached = {node for entry in ENTRIES.values() for node in graph.reach(entry)}
    problems += [
        f"{node[0]}.{node[1]} cites {rule}, but no use case reaches it (add it to ENTRIES)"
        for node, rule in graph.citations()
        if node not in reached
    ]
    return problems + [f"{stray}: a citation outside any definition" for stray in graph.stray]


GRAPH = Graph(_enforcing_sources())


def test_every_use_case_is_an_entry() -> None:
    assert set(ENTRIES) == set(UseCase)


def test_the_graph_finds_citations_through_imports() -> None:
    """Guard the scan: the known paths are found (service -> pure module -> rule)."""
    submit = GRAPH.cited_by(ENTRIES[UseCase.APPLICATION_SUBMIT])
    assert {
        "R-APP-PLAN",
        "R-ELIG-NOT-SUBSIDIARY",
        "R-LIST-WINDOW",
        "R-APP-MEMBER-CONSENT",
    } <= submit
    assert "R-APP-MEMBER-CONSENT" not in GRAPH.cited_by(ENTRIES[UseCase.ELIGIBILITY_CHECK])
    assert "R-APP-PLAN" not in GRAPH.cited_by(ENTRIES[UseCase.ELIGIBILITY_CHECK])
    assert "R-LIST-FIELDS" in GRAPH.cited_by(ENTRIES[UseCase.LISTING_PUBLISH])
    assert "R-ORG-USCC" in GRAPH.cited_by(ENTRIES[UseCase.ORGANIZATION_CREATE])


def test_enforced_at_is_what_the_code_cites() -> None:
    assert _drift(GRAPH) == []


def test_planned_rules_are_cited_by_no_code() -> None:
    cited = {rule for _, rule in GRAPH.citations()}
    assert [r.id for r in RULES if not r.enforced_at and r.id in cited] == []
    assert {r.id for r in RULES if not r.enforced_at} >= {"R-POLICY-VERSION"}


def _mutated(module: str, old: str, new: str) -> Graph:
    texts = _enforcing_sources()
    assert old in texts[module]
    texts[module] = texts[module].replace(old, new, 1)
    return Graph(texts)


def test_the_drift_check_catches_both_directions() -> None:
    """A use case citing a rule whose `enforced_at` omits it, a rule with an empty
    `enforced_at` that code cites, a rule naming a use case that does not cite it, and a
    citation no use case reaches all fail."""
    publish = _drift(
        _mutated("jiebang_api.listings.service", '"R-LIST-WINDOW"', '"R-POLICY-VERSION"')
    )
    assert "R-POLICY-VERSION is cited by listing.publish, empty `enforced_at`" in publish
    assert "R-LIST-WINDOW names listing.publish, whose code never cites it" in publish

    submit = _drift(
        _mutated("jiebang_api.listings.rules", '"R-TIME-TB-36M"', '"R-ELIG-AT-DEMAND-TEAM"')
    )
    assert "R-ELIG-AT-DEMAND-TEAM is cited by listing.submit, `enforced_at` without it" in submit

    orphan = 'def _orphan() -> str:\n    return "R-ELIG-AT-DEMAND-TEAM"\n\n\n'
    unreached = _drift(
        _mutated("jiebang_api.listings.rules", "def _blank(", orphan + "def _blank(")
    )
    assert unreached == [
        "jiebang_api.listings.rules._orphan cites R-ELIG-AT-DEMAND-TEAM, but no use case "
        "reaches it (add it to ENTRIES)"
    ]


def test_the_changes_of_article_16_are_live_and_the_write_off_is_a_reading() -> None:
    """第十六条: extension and termination are checked where a request is filed and approved;
    the audit, the recoveries and the write-off check the recovery, and the write-off is the
    service's reading (the text says only that the remaining subsidy is recovered)."""
    assert RULES_BY_ID["R-CHG-FORCE-MAJEURE"].enforced_at == (
        UseCase.CHANGE_FILE,
        UseCase.CHANGE_APPROVE,
    )
    audit = RULES_BY_ID["R-CHG-TERMINATION-AUDIT"]
    assert audit.enforced_at == (
        UseCase.DISBURSE,  # nothing more is paid to a terminating project
        UseCase.SPECIAL_AUDIT,
        UseCase.RECOVER,
        UseCase.WRITE_OFF,
    )
    assert "write-off" in (audit.reading_en or "")
    assert "reading" in (audit.reading_en or "")
    assert "核销" in (audit.reading_zh or "")
    assert UseCase.SPECIAL_AUDIT in RULES_BY_ID["R-MGMT-AGENCY"].enforced_at
