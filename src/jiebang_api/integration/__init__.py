"""Integration: the change feed, webhooks, the plan system."""
