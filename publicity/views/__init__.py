"""Publicity views: `public` (no login, read-only and redacted) and `staff` (scoped)."""
