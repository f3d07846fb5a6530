"""Engines that run a compiled feature plan: DuckDB on one machine (Spark in issue 9)."""
