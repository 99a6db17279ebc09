"""The prodseg Definitions: every asset of the ``assets`` package, the checks, jobs, schedule,
sensors and resources. Asset modules and checks added later join without an edit here.

Built lazily (``@dg.definitions``): Dagster calls ``defs()`` once the code location is imported.
Built at import time, an asset module imported before this package (it imports
``pipelines.resources``, which runs this package's ``__init__``) would be collected half-initialized,
without its assets.
"""

import dagster as dg

import assets
from pipelines import checks
from pipelines.jobs import JOBS
from pipelines.resources import build_resources
from pipelines.schedules import retrain_schedule
from pipelines.sensors import build_sensors
from prodseg.settings import Settings


@dg.definitions
def defs() -> dg.Definitions:
    # Read when the code location loads (defaults < params.yaml < env): the cron and the sensor's
    # threshold and interval. Reload the code location in the UI after changing them.
    settings = Settings.load()
    return dg.Definitions(
        assets=dg.load_assets_from_package_module(assets),
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=JOBS,
        schedules=[retrain_schedule(settings)],
        sensors=build_sensors(settings),
        resources=build_resources(),
    )
