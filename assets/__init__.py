"""Dagster software-defined assets, one module per pipeline stage, each thin; and what they share:
``resources`` (the settings, labeller and MLflow as Dagster config), ``versions`` (code, params and data
versions from dvc.yaml), ``metadata`` (plots and MLflow links). Nothing here imports ``pipelines``."""
