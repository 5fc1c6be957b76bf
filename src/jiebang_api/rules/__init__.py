"""The rules of the measures (and of the service itself), by id — pure reference data."""

from jiebang_api.rules.catalogue import RULES, RULES_BY_ID, Rule, RuleKind

__all__ = ["RULES", "RULES_BY_ID", "Rule", "RuleKind"]
