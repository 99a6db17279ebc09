"""The prodseg Definitions (the code location: workspace.yaml and ``dg`` load this module): every
asset of the ``assets`` package, the checks, jobs, schedule, sensors and resources. Asset modules and
checks added later join without an edit here.

Imports run one way: this module imports ``assets`` (the asset modules and the resources, versions and
metadata they use); nothing under ``assets`` imports ``pipelines``. Built when Dagster calls ``defs()``
(``@dg.definitions``, the shape of a ``dg`` project's ``definitions.py``), so the settings are read when
the code location loads.
"""

import dagster as dg

import assets
from assets.resources import build_resources
from pipelines import checks
from pipelines.jobs import JOBS
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
