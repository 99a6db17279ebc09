"""The prodseg Definitions: assets and the resources they use."""

from __future__ import annotations

import dagster as dg

from assets.crawl import raw_catalog
from pipelines.resources import SettingsResource

defs = dg.Definitions(
    assets=[raw_catalog],
    resources={"settings": SettingsResource()},
)
