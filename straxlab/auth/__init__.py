"""Accounts, roles, sessions, passwords and the user's language."""
