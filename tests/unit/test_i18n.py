"""Accept-Language negotiation: zh by default, en only when the caller prefers it."""

from __future__ import annotations

import pytest

from jiebang_api.kit.i18n import negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # No usable preference: Chinese.
        (None, "zh"),
        ("", "zh"),
        ("   ", "zh"),
        ("*", "zh"),
        ("fr, de;q=0.9", "zh"),
        ("mn-MN", "zh"),
        # Plain tags, regions and case.
        ("en", "en"),
        ("EN-us", "en"),
        ("en-GB, fr;q=0.5", "en"),
        ("zh", "zh"),
        ("zh-Hans-CN", "zh"),
        ("fr, en;q=0.1", "en"),
        ("  en-US  ,  zh ;q=0.2", "en"),
        # q-values decide.
        ("zh;q=0.5, en;q=0.9", "en"),
        ("en;q=0.5, zh;q=0.9", "zh"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en;q=0.001", "en"),
        ("en;q= 0.7, zh;q=0.6", "en"),
        # q=0 means "not acceptable".
        ("en;q=0", "zh"),
        ("en;q=0.0, zh;q=0.1", "zh"),
        ("zh;q=0, en;q=0.1", "en"),
        ("en;q=-1, zh;q=0.1", "zh"),
        # Equal quality: the earlier entry wins.
        ("en, zh", "en"),
        ("zh, en", "zh"),
        ("en;q=0.8, zh;q=0.8", "en"),
        ("zh;q=0.8, en;q=0.8", "zh"),
        ("fr, de, es, it, en;q=0.5, zh;q=0.5", "en"),
        ("en-US;q=0.3, zh;q=0.3, en;q=0.3", "en"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


@pytest.mark.parametrize(
    "bad_q",
    ["abc", "", "0..5", "high", "0.5x", "½"],
)
def test_entry_with_unparseable_q_is_ignored(bad_q: str) -> None:
    # The malformed entry counts for nothing, so the well-formed one decides.
    assert negotiate(f"en;q={bad_q}, zh;q=0.1") == "zh"
    assert negotiate(f"zh;q={bad_q}, en;q=0.1") == "en"


@pytest.mark.parametrize(
    "bad_q",
    [
        pytest.param("nan", id="nan"),
        pytest.param("inf", id="inf"),
        pytest.param("2", id="above-1"),
        pytest.param("-inf", id="minus-inf"),
    ],
)
def test_entry_with_non_finite_or_out_of_range_q_is_ignored(bad_q: str) -> None:
    # RFC 9110 §12.4.2: a qvalue is a number in [0, 1]; anything else is malformed.
    assert negotiate(f"en;q={bad_q}, zh") == "zh"
    assert negotiate(f"zh;q=0.5, en;q={bad_q}") == "zh"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # RFC 4647 basic filtering: "en" matches "en" and "en-*", not other languages.
        pytest.param("enm, zh;q=0.5", "zh", id="enm-middle-english-is-not-en"),
        pytest.param("zha, en;q=0.5", "en", id="zha-zhuang-is-not-zh"),
    ],
)
def test_primary_subtag_must_match_exactly(header: str, expected: str) -> None:
    assert negotiate(header) == expected


def test_uppercase_q_parameter_is_honoured() -> None:
    # Parameter names, like ABNF literals, are case-insensitive (RFC 9110 §5.6.6).
    assert negotiate("en;Q=0.1, zh;q=0.5") == "zh"
