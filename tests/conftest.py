"""Test-wide settings: hypothesis checks behaviour, not speed (CI machines are shared)."""

from hypothesis import settings

settings.register_profile("whitelist", deadline=None, print_blob=True)
settings.load_profile("whitelist")
