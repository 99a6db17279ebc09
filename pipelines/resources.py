"""Dagster resources: how assets reach the project's settings."""

from __future__ import annotations

import dagster as dg

from prodseg.settings import Settings, parse_overrides


class SettingsResource(dg.ConfigurableResource):
    """The project settings (config/defaults.yaml < params.yaml < env), plus run-time overrides.

    ``overrides`` takes the CLI's ``section.key=value`` strings, e.g. ``["shop.products=40"]``.
    """

    overrides: list[str] = []

    def load(self) -> Settings:
        return Settings.load(parse_overrides(self.overrides))
