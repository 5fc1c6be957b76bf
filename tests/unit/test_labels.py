"""Bilingual enum labels: the decorator's checks and every labelled enum of the service."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from enum import StrEnum

import pytest

from jiebang_api.agreements.enums import FundingUse
from jiebang_api.auth.roles import Role
from jiebang_api.kit import labels
from jiebang_api.kit.actor import ActorType
from jiebang_api.kit.errors import ErrorCode
from jiebang_api.kit.labels import Label, label_of, labelled, registered
from jiebang_api.listings.enums import ListingKind
from jiebang_api.organizations.enums import OrganizationType

SERVICE_ENUMS: list[type[StrEnum]] = [
    ErrorCode,
    ActorType,
    Role,
    OrganizationType,
    ListingKind,
    FundingUse,
]


def _has_cjk(text: str) -> bool:
    return any("CJK UNIFIED IDEOGRAPH" in unicodedata.name(ch, "") for ch in text)


# --- the service's enums -------------------------------------------------------------------


@pytest.mark.parametrize("enum", SERVICE_ENUMS, ids=lambda e: e.__name__)
def test_service_enum_is_registered_under_its_name(enum: type[StrEnum]) -> None:
    registered_enum, table = registered()[enum.__name__]
    assert registered_enum is enum
    assert set(table) == {member.value for member in enum}


@pytest.mark.parametrize("enum", SERVICE_ENUMS, ids=lambda e: e.__name__)
def test_every_member_has_a_chinese_and_an_english_label(enum: type[StrEnum]) -> None:
    for member in enum:
        label = label_of(member)
        assert label.zh.strip(), member
        assert label.en.strip(), member
        assert _has_cjk(label.zh), f"{member!r}: zh label {label.zh!r} has no Chinese"
        assert not _has_cjk(label.en), f"{member!r}: en label {label.en!r} is not English"
        assert label.en.isascii(), member


@pytest.mark.parametrize("enum", SERVICE_ENUMS, ids=lambda e: e.__name__)
def test_labels_are_distinct_within_an_enum(enum: type[StrEnum]) -> None:
    zh = [label_of(m).zh for m in enum]
    en = [label_of(m).en for m in enum]
    assert len(set(zh)) == len(zh)
    assert len(set(en)) == len(en)


@pytest.mark.parametrize(
    ("member", "zh", "en"),
    [
        (ErrorCode.NOT_FOUND, "资源不存在", "Not found"),
        (ErrorCode.INVALID_TRANSITION, "当前状态不允许该操作", "Invalid state transition"),
        (ActorType.SERVICE, "对接系统", "Service client"),
        (Role.ADMIN, "科技厅管理员", "Department administrator"),
        (OrganizationType.CONSORTIUM, "创新联合体", "Innovation consortium"),
        (ListingKind.EMERGENCY, "应急类", "Emergency"),
        (FundingUse.PILOT_TEST, "中间试验", "Pilot testing"),
        # Same value in two enums: each keeps its own label.
        (Role.AGENCY, "受托第三方机构", "Entrusted agency"),
        (OrganizationType.AGENCY, "第三方机构", "Agency"),
    ],
)
def test_label_of_spot_checks(member: StrEnum, zh: str, en: str) -> None:
    assert label_of(member) == Label(zh, en)


# --- the decorator --------------------------------------------------------------------------

PROBE_NAMES = ("ProbeGood", "ProbeMissing", "ProbeExtra", "ProbeByName", "ProbeEmpty")


@pytest.fixture
def clean_registry() -> Iterator[None]:
    """Throwaway enums must not leak into the global registry (e.g. `/meta/enums`)."""
    assert not set(PROBE_NAMES) & set(labels._REGISTRY)
    try:
        yield
    finally:
        for name in PROBE_NAMES:
            labels._REGISTRY.pop(name, None)


@pytest.mark.usefixtures("clean_registry")
def test_decorator_registers_and_returns_the_enum() -> None:
    before = list(registered())

    class ProbeGood(StrEnum):
        ALPHA = "alpha"
        BETA = "beta"

    decorated = labelled({"alpha": ("甲", "Alpha"), "beta": ("乙", "Beta")})(ProbeGood)
    assert decorated is ProbeGood
    assert list(registered()) == [*before, "ProbeGood"]  # registration order
    assert label_of(ProbeGood.ALPHA) == Label("甲", "Alpha")
    assert label_of(ProbeGood.BETA) == Label("乙", "Beta")


@pytest.mark.parametrize(
    ("name", "given", "fragment"),
    [
        ("ProbeMissing", {"alpha": ("甲", "Alpha")}, "missing {'beta'}"),
        (
            "ProbeExtra",
            {"alpha": ("甲", "Alpha"), "beta": ("乙", "Beta"), "gamma": ("丙", "Gamma")},
            "unknown {'gamma'}",
        ),
        # Keys are member values, not member names.
        ("ProbeByName", {"ALPHA": ("甲", "Alpha"), "BETA": ("乙", "Beta")}, "unknown {"),
        ("ProbeEmpty", {}, "missing {"),
    ],
)
@pytest.mark.usefixtures("clean_registry")
def test_decorator_refuses_missing_or_extra_labels(
    name: str, given: dict[str, tuple[str, str]], fragment: str
) -> None:
    probe = StrEnum(name, {"ALPHA": "alpha", "BETA": "beta"})  # type: ignore[misc]
    with pytest.raises(ValueError, match=f"labels of {name}") as caught:
        labelled(given)(probe)
    assert fragment in str(caught.value)
    assert name not in registered()


def test_registered_returns_a_copy() -> None:
    snapshot = registered()
    snapshot.pop("ErrorCode")
    assert "ErrorCode" in registered()


def test_label_of_unregistered_enum_fails() -> None:
    class Unlabelled(StrEnum):
        X = "x"

    with pytest.raises(KeyError):
        label_of(Unlabelled.X)
