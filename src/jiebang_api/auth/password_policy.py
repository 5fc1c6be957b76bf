"""What makes a username and a password acceptable (pure)."""

from __future__ import annotations

import re

from jiebang_api.kit.errors import Message, Violation

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{2,63}$"
USERNAME_RULE = Message(
    "用户名为 3–64 个字母、数字或 _ . -，以字母或数字开头。",
    "A username has 3–64 letters, digits, `_`, `.` or `-`, starting with a letter or digit.",
)


def valid_username(username: str) -> bool:
    return re.fullmatch(USERNAME_PATTERN, username) is not None


MIN_LENGTH = 10
MAX_LENGTH = 128


def violations(username: str, password: str) -> list[Violation]:
    """Every reason the password is refused; empty when it is acceptable."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(
            Violation(
                Message(f"密码至少 {MIN_LENGTH} 个字符。", f"At least {MIN_LENGTH} characters."),
                field="body.password",
            )
        )
    if len(password) > MAX_LENGTH:
        found.append(
            Violation(
                Message(f"密码至多 {MAX_LENGTH} 个字符。", f"At most {MAX_LENGTH} characters."),
                field="body.password",
            )
        )
    if password.strip().casefold() == username.strip().casefold():
        found.append(
            Violation(
                Message("密码不能与用户名相同。", "The password may not equal the username."),
                field="body.password",
            )
        )
    return found
