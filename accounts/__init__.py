"""Accounts and sign-in security: login audit, lockout, forced password change, second factor,
and the separation of the three administrator roles (三员分立)."""
