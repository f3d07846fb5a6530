"""The scoring artefact and what it says about a row (issue 4)."""
