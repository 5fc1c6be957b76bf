"""What a terminated project owes back (R-CHG-TERMINATION-AUDIT, 第十六条) — pure.

The special audit sets the eligible spending; what was disbursed beyond it is due back,
never less than nothing. Recoveries pay it off; the department may write off the rest.
"""

from __future__ import annotations

from decimal import Decimal

from jiebang_api.kit.money import quantize


def recovery_due(*, disbursed: Decimal, audited_eligible_spending: Decimal) -> Decimal:
    """max(0, disbursed − audited eligible spending), to the cent."""
    return quantize(max(Decimal(0), disbursed - audited_eligible_spending))


def outstanding(*, due: Decimal, recovered: Decimal, written_off: Decimal | None) -> Decimal:
    """What is still to be recovered: due less what was recovered and written off."""
    return quantize(due - recovered - (written_off or Decimal(0)))


def acceptable_recovery(amount: Decimal, *, outstanding: Decimal) -> bool:
    """A recovery is above zero and at most what is still outstanding."""
    return Decimal(0) < amount <= outstanding
