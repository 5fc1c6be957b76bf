"""What makes a password acceptable (pure)."""

from __future__ import annotations

from jiebang_api.kit.errors import Message, Violation

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
