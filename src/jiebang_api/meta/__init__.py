"""Reference data for frontends: enumerations with their labels."""
