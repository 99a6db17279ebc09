"""The weekly retrain: the whole graph on the cron in ``orchestration.retrain_cron``.

The run re-crawls (new products), labels only new images, and retrains only when the splits, the
code or the training params changed since the last model (see ``assets/versions.py``), so a quiet
week costs a crawl of the listing pages. Running by default; toggle it in the UI (Automation).
"""

import dagster as dg

from pipelines.jobs import full_pipeline_job
from prodseg.settings import Settings


def retrain_schedule(settings: Settings) -> dg.ScheduleDefinition:
    cfg = settings.config.orchestration
    return dg.ScheduleDefinition(
        name="weekly_retrain",
        job=full_pipeline_job,
        cron_schedule=cfg.retrain_cron,
        execution_timezone=cfg.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        tags={"prodseg/trigger": "weekly_retrain"},
        description=f"Crawl, relabel and retrain on '{cfg.retrain_cron}' ({cfg.timezone}); "
                    "set orchestration.retrain_cron / timezone to move it.",
    )
