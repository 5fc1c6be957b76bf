"""Demo data for testers (`jiebang-api seed-demo`, dev and test environments only)."""
