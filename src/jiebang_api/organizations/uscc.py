"""Unified social credit codes (GB 32100-2015), rule R-ORG-USCC (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from jiebang_api.kit.errors import Message, RuleViolation, Violation

RULE = "R-ORG-USCC"
ARTICLE = "GB 32100-2015"
IN_REGION_PREFIX = "15"  # 内蒙古自治区


@dataclass(frozen=True)
class Uscc:
    code: str
    region_code: str

    @property
    def in_region(self) -> bool:
        return self.region_code.startswith(IN_REGION_PREFIX)


_REASONS = {
    InvalidLength: Message("统一社会信用代码应为 18 位。", "A USCC has exactly 18 characters."),
    InvalidFormat: Message(
        "统一社会信用代码含有不允许的字符。",
        "The USCC contains characters outside its alphabet (digits and A-Y without I, O, S, V, Z).",
    ),
    InvalidChecksum: Message("统一社会信用代码校验位错误。", "The USCC's check digit is wrong."),
    InvalidComponent: Message(
        "统一社会信用代码的组成部分无效。", "A component of the USCC is not valid."
    ),
}


def parse(code: str, *, field: str = "body.uscc") -> Uscc:
    """The normalised code and its region, or a `RuleViolation` citing R-ORG-USCC."""
    try:
        valid = stdnum_uscc.validate(code)
    except (InvalidLength, InvalidFormat, InvalidChecksum, InvalidComponent) as error:
        message = _REASONS[type(error)]
        raise RuleViolation(
            message, violations=[Violation(message, rule=RULE, article=ARTICLE, field=field)]
        ) from None
    return Uscc(code=valid, region_code=valid[2:8])
