"""Foundations every layer shares: errors, config loading, atomic I/O, USCC codes."""
