"""The first page after login, different for each role."""
