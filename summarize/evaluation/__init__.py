"""Evaluation: reference datasets, scorers and reports (used by ``summarize eval``)."""
