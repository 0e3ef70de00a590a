"""Staff accounts, roles, login and the guard of the staff area."""
