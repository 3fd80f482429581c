"""Shared fixtures. The clause marker ties tests to the seed's rules (docs/clauses.md)."""
