"""The whitelist run: policy, limits, rates, assignment, extracts (issue 5)."""
