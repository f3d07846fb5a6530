"""Government sources: the data contract, loading, validation, quality and the synthetic province."""
