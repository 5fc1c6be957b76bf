"""Organisations, their legal facts, ownership tree and credit records."""
