"""Sensors: retrain when crawls brought enough new images, or people enough review decisions;
say clearly in the log why a run failed.

All run by default (the daemon of `dg dev` / `make ui` ticks them) and toggle in the UI
(Automation). The interval and the threshold come from ``orchestration`` in the settings.
"""

import logging

import dagster as dg

from corrections.store import read_corrections
from pipelines.jobs import relabel_retrain_job
from prodseg.settings import Settings

log = logging.getLogger("prodseg.pipelines")

ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]


def _latest(instance: dg.DagsterInstance, key: str) -> dg.EventLogRecord | None:
    records = instance.fetch_materializations(dg.AssetKey(key), limit=1).records
    return records[0] if records else None


def _metadata_int(record: dg.EventLogRecord | None, name: str) -> int:
    value = record.asset_materialization.metadata.get(name) if record is not None else None
    return int(value.value) if value is not None else 0


def new_images_decision(instance: dg.DagsterInstance, threshold: int) -> dg.RunRequest | dg.SkipReason:
    """A relabel+retrain run when the catalog holds ``threshold`` or more images the labels do not.

    Counts come from the latest materializations (``raw_catalog`` rows against ``pseudo_labels``
    images), so several small crawls add up. The run key is the crawl's event: one run per crawl.
    """
    crawl = _latest(instance, "raw_catalog")
    if crawl is None:
        return dg.SkipReason("no crawl yet (materialize raw_catalog, or launch the crawl job)")
    if instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE), limit=1):
        # A run in flight may be the one labelling these images (the full pipeline between its
        # crawl and labels steps, or the retrain this sensor started): decide once it is done.
        return dg.SkipReason("a run is in progress; deciding after it finishes")
    catalog_images = _metadata_int(crawl, "rows")
    labelled = _metadata_int(_latest(instance, "pseudo_labels"), "images")
    new = catalog_images - labelled
    if new < threshold:
        return dg.SkipReason(f"{new} new images since the last labelling ({catalog_images} in the catalog, "
                             f"{labelled} labelled): fewer than {threshold}")
    return dg.RunRequest(run_key=f"raw_catalog-{crawl.storage_id}",
                         tags={"prodseg/trigger": "new_images", "prodseg/new_images": str(new)})


def corrections_decision(instance: dg.DagsterInstance, decisions: int, threshold: int) -> dg.RunRequest | dg.SkipReason:
    """A relabel+retrain run once people made ``threshold`` or more decisions since the last split
    (``decisions``: rows of corrections.parquet now; the split records how many it read)."""
    counted = _metadata_int(_latest(instance, "dataset_splits"), "corrections_counted")
    new = decisions - counted
    if new < threshold:
        return dg.SkipReason(f"{new} new review decisions since the last split ({decisions} in all): "
                             f"fewer than {threshold}")
    if instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE), limit=1):
        return dg.SkipReason("a run is in progress; deciding after it finishes")
    return dg.RunRequest(run_key=f"corrections-{decisions}",
                         tags={"prodseg/trigger": "corrections", "prodseg/new_decisions": str(new)})


def _root_cause(error) -> str:
    """The innermost error's message: Dagster wraps the asset's own exception in its own."""
    while error.cause is not None:
        error = error.cause
    return f"{error.cls_name}: {error.message.strip()}" if error.cls_name else error.message.strip()


def _failed_checks(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[str, str]]:
    """Step key -> (asset, check) of the checks that failed in the run: a blocking check fails its step."""
    failed = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        if not evaluation.passed:
            step = f"{evaluation.asset_key.to_python_identifier()}_{evaluation.check_name}"
            failed[step] = (evaluation.asset_key.to_user_string(), evaluation.check_name)
    return failed


def failure_message(instance: dg.DagsterInstance, run: dg.DagsterRun, step_failures: list[dg.DagsterEvent]) -> str:
    """What failed and why, what was kept, and how to resume from the failed asset."""
    checks = _failed_checks(instance, run.run_id)
    where, resume_from, causes = [], [], []
    for event in step_failures:
        asset, check = checks.get(event.step_key, (event.step_key, None))
        where.append(f"{asset} (check {check})" if check else asset)
        resume_from.append(asset)
        if event.step_failure_data and event.step_failure_data.error:
            causes.append(f"{asset}: {_root_cause(event.step_failure_data.error)}")
    kept = sorted({entry.dagster_event.asset_key.to_user_string()
                   for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)})
    selection = " ".join(f"'{asset}*'" for asset in dict.fromkeys(resume_from)) or "'*'"
    return (f"prodseg run {run.run_id} ({run.job_name}) failed at {', '.join(where) or 'launch'}. "
            f"Cause: {'; '.join(causes) or 'see the run log'}. "
            f"Materialized before the failure and kept as they are: {', '.join(kept) or 'nothing'}. "
            f"Resume from the failed asset: in the UI open the run, Re-execute > From failure; or "
            f"`dg launch --assets {selection}`.")


def build_sensors(settings: Settings) -> list:
    cfg = settings.config.orchestration

    def retrain_sensor(name: str, description: str, decide, what: str) -> dg.SensorDefinition:
        """A sensor starting relabel_retrain when ``decide(instance)`` asks for it (tag ``prodseg/<what>``)."""
        def evaluate(context: dg.SensorEvaluationContext):
            decision = decide(context.instance)
            if isinstance(decision, dg.RunRequest):
                count = decision.tags[f"prodseg/{what}"]
                context.log.info(f"starting relabel_retrain: {count} {what.replace('_', ' ')}")
            return decision

        return dg.sensor(name=name, job=relabel_retrain_job, minimum_interval_seconds=cfg.sensor_interval_s,
                         default_status=dg.DefaultSensorStatus.RUNNING, description=description)(evaluate)

    new_images_sensor = retrain_sensor(
        "new_images_sensor",
        f"Starts relabel_retrain once crawls have added {cfg.new_images_threshold} or more "
        "images that are not labelled yet (orchestration.new_images_threshold).",
        lambda instance: new_images_decision(instance, cfg.new_images_threshold), "new_images")
    corrections_sensor = retrain_sensor(
        "corrections_sensor",
        f"Starts relabel_retrain once people have made {cfg.corrections_threshold} or more review "
        "decisions since the last split (orchestration.corrections_threshold).",
        lambda instance: corrections_decision(instance, len(read_corrections(settings)), cfg.corrections_threshold),
        "new_decisions")

    @dg.run_failure_sensor(
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Writes what failed, what was kept and how to resume to the log.",
    )
    def run_failure_log(context: dg.RunFailureSensorContext):
        message = failure_message(context.instance, context.dagster_run, context.get_step_failure_events())
        context.log.error(message)   # the sensor's tick log in the UI
        log.error(message)           # the daemon's log (the `dg dev` terminal)

    return [new_images_sensor, run_failure_log, corrections_sensor]
