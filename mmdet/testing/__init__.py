"""Generators of test and demo data (not used by training or evaluation)."""
