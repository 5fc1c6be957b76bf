"""The movable clock of dev and test environments, shared by every process via the database."""
