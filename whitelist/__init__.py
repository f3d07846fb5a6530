"""whitelist: find small and micro enterprises a bank can pre-approve, from shared government data."""

__version__ = "0.1.0"
