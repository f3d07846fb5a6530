"""Reason codes and compliance reports read from a run folder (issue 6)."""
