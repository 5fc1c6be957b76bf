"""Shared machinery used by every domain package; imports no domain package."""
