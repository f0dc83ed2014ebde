"""User administration for managers."""
