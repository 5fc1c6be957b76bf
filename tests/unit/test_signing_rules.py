"""R-WF-SIGN-ALL (第九条（七）): who signs what before the project exists, and when."""

from __future__ import annotations

import pytest

from jiebang_api.agreements.workflow import (
    MACHINE,
    SIGNATURES_NEEDED,
    AgreementAction,
    AgreementStatus,
    Document,
    Party,
)
from jiebang_api.kit.errors import InvalidTransition


def test_both_sides_sign_the_agreement_and_the_department_joins_them_on_the_task_book() -> None:
    by_document = {
        document: {party for d, party in SIGNATURES_NEEDED if d is document}
        for document in Document
    }
    assert by_document == {
        Document.AGREEMENT: {Party.DEMAND, Party.SUPPLY},
        Document.TASK_BOOK: {Party.DEMAND, Party.SUPPLY, Party.DEPARTMENT},
    }


def test_signing_starts_once_the_notice_passed_and_the_last_signature_signs() -> None:
    passed = AgreementStatus.PUBLICITY_PASSED
    assert MACHINE.next_state(passed, AgreementAction.SIGN) is passed
    assert MACHINE.next_state(passed, AgreementAction.SIGN_LAST) is AgreementStatus.SIGNED
    for before in (AgreementStatus.IN_PUBLICITY, AgreementStatus.SUBMITTED, AgreementStatus.SIGNED):
        with pytest.raises(InvalidTransition):
            MACHINE.next_state(before, AgreementAction.SIGN)
    with pytest.raises(InvalidTransition):
        MACHINE.next_state(AgreementStatus.SIGNED, AgreementAction.ABANDON)
