"""Typed domain events: what a domain tells the domains above it (DESIGN §1)."""
