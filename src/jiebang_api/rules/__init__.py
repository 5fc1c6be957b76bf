"""The rules of the measures (and of the service itself), by id — pure reference data."""

from jiebang_api.rules.catalogue import (
    DEPARTMENT_CONFIGURABLE,
    RULES,
    RULES_BY_ID,
    SERVICE_RULE,
    Rule,
    RuleBasis,
    RuleKind,
    UseCase,
)

__all__ = [
    "DEPARTMENT_CONFIGURABLE",
    "RULES",
    "RULES_BY_ID",
    "SERVICE_RULE",
    "Rule",
    "RuleBasis",
    "RuleKind",
    "UseCase",
]
