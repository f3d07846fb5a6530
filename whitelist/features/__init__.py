"""Point-in-time feature builders (issue 3)."""
