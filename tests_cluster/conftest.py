"""The cluster run prints each invariant it proved, with its figures, at the end."""

from __future__ import annotations

import pytest

FINDINGS: list[str] = []


@pytest.fixture(scope="session")
def findings() -> list[str]:
    """Lines for the run's summary: one per invariant."""
    return FINDINGS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FINDINGS:
        terminalreporter.section("cluster invariants")
        for line in FINDINGS:
            terminalreporter.write_line(line)
