"""Model training: split, tune, fit, calibrate, gates, registry (issue 4)."""
