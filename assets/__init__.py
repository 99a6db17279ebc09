"""Dagster software-defined assets, one module per pipeline stage; each stays thin."""
