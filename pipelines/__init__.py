"""The Dagster wiring: Definitions, checks, jobs, schedules, sensors (``dg``'s root module, see
pyproject's ``[tool.dg]``). Empty on purpose, as in a ``dg`` project: importing a submodule loads
nothing else; the code location is ``pipelines.definitions``."""
