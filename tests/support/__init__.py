"""Test support: databases, real server processes, free ports (no mocks of our own code)."""
