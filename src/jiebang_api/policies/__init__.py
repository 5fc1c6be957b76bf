"""Versions of the measures' parameters: ratios, caps, durations, publicity length."""
