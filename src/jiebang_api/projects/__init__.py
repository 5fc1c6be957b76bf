"""Projects: funding, disbursement, implementation, change, audit and acceptance."""
