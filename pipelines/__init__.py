"""The Dagster code location (workspace.yaml loads this module)."""

from pipelines.definitions import defs

__all__ = ["defs"]
