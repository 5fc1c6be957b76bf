"""The arithmetic of a terminated project's recovery (R-CHG-TERMINATION-AUDIT, 第十六条) and
the states of a change request (R-CHG-FORCE-MAJEURE) — pure."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiebang_api.kit.errors import InvalidTransition
from jiebang_api.projects import recovery
from jiebang_api.projects.change_workflow import (
    MACHINE,
    ChangeAction,
    ChangeStatus,
    status_at_filing,
)

D = Decimal
AMOUNTS = st.decimals(min_value=0, max_value=10**12, places=2)


@pytest.mark.parametrize(
    ("disbursed", "spending", "due"),
    [
        ("300000.00", "120000.00", "180000.00"),  # the acceptance example
        ("300000.00", "300000.00", "0.00"),
        ("300000.00", "350000.00", "0.00"),  # spent more than was paid: nothing due
        ("0.00", "0.00", "0.00"),
        ("333333.33", "0.01", "333333.32"),
    ],
)
def test_recovery_due(disbursed: str, spending: str, due: str) -> None:
    found = recovery.recovery_due(disbursed=D(disbursed), audited_eligible_spending=D(spending))
    assert found == D(due)
    assert str(found) == due


@given(AMOUNTS, AMOUNTS)
def test_recovery_due_is_never_negative_and_never_above_what_was_paid(
    disbursed: Decimal, spending: Decimal
) -> None:
    due = recovery.recovery_due(disbursed=disbursed, audited_eligible_spending=spending)
    assert D(0) <= due <= disbursed
    assert due == max(D(0), disbursed - spending)


def test_outstanding() -> None:
    assert recovery.outstanding(
        due=D("180000.00"), recovered=D("100000.00"), written_off=None
    ) == D("80000.00")
    assert recovery.outstanding(
        due=D("180000.00"), recovered=D("30000.00"), written_off=D("150000.00")
    ) == D("0.00")


@pytest.mark.parametrize(
    ("amount", "ok"),
    [("0.00", False), ("0.01", True), ("80000.00", True), ("80000.01", False), ("-1.00", False)],
)
def test_a_recovery_is_above_zero_and_at_most_what_is_outstanding(amount: str, ok: bool) -> None:
    assert recovery.acceptable_recovery(D(amount), outstanding=D("80000.00")) is ok


def test_a_request_awaits_the_other_side_unless_that_side_is_the_department() -> None:
    assert status_at_filing(other_side_is_department=False) is ChangeStatus.AWAITING_CONSENT
    assert status_at_filing(other_side_is_department=True) is ChangeStatus.AWAITING_APPROVAL


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        (ChangeStatus.AWAITING_CONSENT, ChangeAction.CONSENT, ChangeStatus.AWAITING_APPROVAL),
        (ChangeStatus.AWAITING_CONSENT, ChangeAction.REJECT, ChangeStatus.REJECTED),
        (ChangeStatus.AWAITING_APPROVAL, ChangeAction.APPROVE, ChangeStatus.APPROVED),
        (ChangeStatus.AWAITING_APPROVAL, ChangeAction.REJECT, ChangeStatus.REJECTED),
    ],
)
def test_the_change_request_machine(
    state: ChangeStatus, action: ChangeAction, after: ChangeStatus
) -> None:
    assert MACHINE.next_state(state, action) is after


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (ChangeStatus.AWAITING_CONSENT, ChangeAction.APPROVE),
        (ChangeStatus.AWAITING_APPROVAL, ChangeAction.CONSENT),
        *((s, a) for s in (ChangeStatus.APPROVED, ChangeStatus.REJECTED) for a in ChangeAction),
    ],
)
def test_what_the_change_request_machine_refuses(state: ChangeStatus, action: ChangeAction) -> None:
    with pytest.raises(InvalidTransition):
        MACHINE.next_state(state, action)
