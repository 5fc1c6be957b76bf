"""The audit trail: who changed what, when and why, chained so that tampering shows."""
