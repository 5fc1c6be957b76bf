"""USCC checking (R-ORG-USCC), credit-record periods (R-ELIG-NO-DISHONESTY), flag verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from jiebang_api.kit.errors import RuleViolation
from jiebang_api.organizations import credit, flags, uscc

IN_REGION = "91150000MA0N123406"
OUT_OF_REGION = "91110000MA0N12340M"


def test_a_valid_in_region_code() -> None:
    code = uscc.parse(IN_REGION)
    assert (code.code, code.region_code, code.in_region) == (IN_REGION, "150000", True)


def test_a_valid_out_of_region_code() -> None:
    code = uscc.parse(OUT_OF_REGION)
    assert (code.region_code, code.in_region) == ("110000", False)


def test_spaces_and_lower_case_are_normalised() -> None:
    assert uscc.parse(" " + IN_REGION.lower()[:9] + " " + IN_REGION.lower()[9:]).code == IN_REGION


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (IN_REGION[:-1] + "7", "check digit"),
        (IN_REGION[:-1], "18"),
        (IN_REGION + "0", "18"),
        ("91150000MA0N1234I6", "alphabet"),  # I is not in the GB 32100 alphabet
        ("", "18"),
    ],
)
def test_invalid_codes_cite_the_rule(code: str, reason: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        uscc.parse(code)
    (violation,) = caught.value.violations
    assert violation.rule == "R-ORG-USCC"
    assert violation.article == "GB 32100-2015"
    assert violation.field == "body.uscc"
    assert reason in violation.message.en


@dataclass
class Record:
    kind: str
    starts_on: date
    ends_on: date | None


DISHONEST = "serious_dishonesty"


@pytest.mark.parametrize(
    ("records", "on", "active"),
    [
        ([], date(2026, 6, 1), False),
        ([Record(DISHONEST, date(2026, 1, 1), None)], date(2026, 6, 1), True),
        ([Record(DISHONEST, date(2026, 1, 1), None)], date(2025, 12, 31), False),
        ([Record(DISHONEST, date(2026, 1, 1), date(2026, 6, 30))], date(2026, 6, 30), True),
        ([Record(DISHONEST, date(2026, 1, 1), date(2026, 6, 30))], date(2026, 7, 1), False),
        ([Record(DISHONEST, date(2026, 1, 1), date(2026, 1, 1))], date(2026, 1, 1), True),
        (
            [
                Record(DISHONEST, date(2020, 1, 1), date(2021, 1, 1)),
                Record(DISHONEST, date(2026, 3, 1), None),
            ],
            date(2026, 3, 1),
            True,
        ),
        ([Record("something_else", date(2026, 1, 1), None)], date(2026, 6, 1), False),
    ],
)
def test_has_active_dishonesty(records: list[Record], on: date, active: bool) -> None:
    assert credit.has_active_dishonesty(records, on) is active


def test_a_changed_flag_loses_its_verification_and_others_keep_theirs() -> None:
    current = {"high_tech": False, "partner_4_8_n": True, "name": "甲"}
    kept = flags.unverified_after_change(
        ["high_tech", "partner_4_8_n"], {"high_tech": True, "partner_4_8_n": True}, current
    )
    assert kept == ["partner_4_8_n"]


@pytest.mark.parametrize(
    ("changes", "changed"),
    [
        ({"name": "乙"}, True),
        ({"uscc": OUT_OF_REGION}, True),
        ({"type": "university"}, True),
        ({"name": "甲", "high_tech": True}, False),
        ({}, False),
    ],
)
def test_identity_changes(changes: dict[str, object], changed: bool) -> None:
    current = {"name": "甲", "uscc": IN_REGION, "type": "enterprise", "high_tech": False}
    assert flags.identity_changed(changes, current) is changed
