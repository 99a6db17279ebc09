"""The weekly schedule, the new-images sensor and the run-failure sensor, evaluated with Dagster's own
testing contexts against a real (temporary) Dagster instance: no pipeline run needed."""

import datetime
import logging
import shutil
import uuid

import dagster as dg
import pandas as pd
import pytest

from assets.resources import LabellerResource, MlflowResource, SettingsResource
from assets.training import dataset_splits
from pipelines.checks import splits_filled_check
from pipelines.definitions import defs as build_defs
from pipelines.schedules import retrain_schedule
from pipelines.sensors import build_sensors
from prodseg.settings import Settings


defs = build_defs()


def settings(**orchestration) -> Settings:
    return Settings.load({"orchestration": orchestration}, environ={})


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def crawled(instance, rows: int) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization("raw_catalog", metadata={"rows": rows}))


def labelled(instance, images: int) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization("pseudo_labels", metadata={"images": images}))


def new_images_sensor(threshold: int) -> dg.SensorDefinition:
    return build_sensors(settings(new_images_threshold=threshold))[0]


def tick(sensor: dg.SensorDefinition, instance):
    return sensor.evaluate_tick(dg.build_sensor_context(instance=instance))


def test_the_schedule_runs_the_whole_graph_on_the_configured_cron():
    schedule = retrain_schedule(settings(retrain_cron="30 4 * * 2", timezone="Europe/Berlin"))
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 4 * * 2", "Europe/Berlin")
    assert schedule.job_name == "full_pipeline"
    context = dg.build_schedule_context(scheduled_execution_time=datetime.datetime(2026, 11, 24, 4, 30))
    requests = schedule.evaluate_tick(context).run_requests
    assert len(requests) == 1 and requests[0].tags["prodseg/trigger"] == "weekly_retrain"


def test_the_definitions_hold_the_schedule_and_sensors_from_the_settings_running_by_default():
    cfg = Settings.load().config.orchestration
    schedule = defs.resolve_schedule_def("weekly_retrain")
    assert schedule.cron_schedule == cfg.retrain_cron
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    sensors = {s.name: s for s in defs.get_repository_def().sensor_defs}
    assert set(sensors) == {"new_images_sensor", "run_failure_log", "corrections_sensor"}
    assert sensors["new_images_sensor"].minimum_interval_seconds == cfg.sensor_interval_s
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    # The full pipeline job covers the graph; the sensor's job starts at the labels.
    graph = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    retrain = defs.resolve_job_def("relabel_retrain")
    assert {k.to_user_string() for k in retrain.asset_layer.executable_asset_keys} == graph - {"raw_catalog"}


def test_the_sensor_fires_only_once_a_crawl_brings_the_threshold_of_new_images(instance):
    sensor = new_images_sensor(threshold=50)
    assert "no crawl yet" in tick(sensor, instance).skip_message

    crawled(instance, 120)
    labelled(instance, 120)
    assert "0 new images" in tick(sensor, instance).skip_message

    crawled(instance, 169)   # 49 new: one short
    result = tick(sensor, instance)
    assert not result.run_requests and "49 new images" in result.skip_message

    crawled(instance, 170)   # crawls add up: 50 new since the last labelling
    (request,) = tick(sensor, instance).run_requests
    assert request.tags["prodseg/new_images"] == "50"
    assert sensor.job_name == "relabel_retrain"
    (again,) = tick(sensor, instance).run_requests
    assert again.run_key == request.run_key, "the same crawl must not start a second run"

    labelled(instance, 170)  # the retrain labelled them
    assert tick(sensor, instance).skip_message.startswith("0 new images")


def test_the_sensor_waits_while_a_run_is_in_flight(instance):
    crawled(instance, 500)
    instance.add_run(dg.DagsterRun(job_name="full_pipeline", run_id=str(uuid.uuid4()),
                                   status=dg.DagsterRunStatus.STARTED))
    assert "in progress" in tick(new_images_sensor(threshold=1), instance).skip_message


def test_the_corrections_sensor_fires_once_people_made_the_threshold_of_new_decisions(instance, tmp_path):
    from corrections.store import COLUMNS, corrections_path

    cfg = Settings.load({"paths": {"data": str(tmp_path / "data")}, "orchestration": {"corrections_threshold": 3}},
                        environ={})
    sensor = build_sensors(cfg)[2]
    assert sensor.job_name == "relabel_retrain"
    assert "0 new review decisions" in tick(sensor, instance).skip_message   # no corrections folder yet

    def decided(n: int) -> None:  # n rows as `prodseg review` writes them
        rows = pd.DataFrame({c: [f"{c}{i}" for i in range(n)] for c in COLUMNS}).assign(class_id=1)
        corrections_path(cfg).parent.mkdir(parents=True, exist_ok=True)
        rows.astype(COLUMNS).to_parquet(corrections_path(cfg))

    instance.report_runless_asset_event(dg.AssetMaterialization("dataset_splits",
                                                                metadata={"corrections_counted": 4}))
    decided(6)
    assert "2 new review decisions" in tick(sensor, instance).skip_message
    decided(7)
    (request,) = tick(sensor, instance).run_requests
    assert request.tags["prodseg/trigger"] == "corrections" and request.tags["prodseg/new_decisions"] == "3"


def settings_resource(*overrides: str) -> SettingsResource:
    return SettingsResource(labeller=LabellerResource(), mlflow=MlflowResource(), overrides=list(overrides))


def failure_logged(instance, result: dg.ExecuteInProcessResult, caplog) -> str:
    """Evaluate the run-failure sensor on a failed run as the daemon would; return what it logged."""
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1].dagster_event
    sensor = build_sensors(settings())[1]
    context = dg.build_run_status_sensor_context(sensor_name=sensor.name, dagster_event=failure,
                                                 dagster_instance=instance, dagster_run=run).for_run_failure()
    with caplog.at_level(logging.ERROR, logger="prodseg.pipelines"):
        sensor(context)
    (message,) = [r.getMessage() for r in caplog.records if r.name == "prodseg.pipelines"]
    assert f"prodseg run {run.run_id}" in message
    return message


def test_a_failed_stage_is_reported_with_its_cause_and_how_to_resume(instance, tmp_path, caplog):
    # A real failure of a real stage: splitting a data folder that holds no labels yet.
    resource = settings_resource(f"paths.data={tmp_path}/data", f"paths.var={tmp_path}/var")
    result = dg.materialize([dataset_splits], instance=instance, resources={"settings": resource},
                            raise_on_error=False)
    message = failure_logged(instance, result, caplog)
    assert "failed at dataset_splits." in message
    assert "labels.parquet" in message                       # the root cause, not Dagster's wrapper
    assert "kept as they are: nothing" in message
    assert "--assets 'dataset_splits*'" in message


def test_a_failed_blocking_check_is_reported_on_its_asset(instance, split_settings, caplog):
    # Labels of the tiny shop split with no share for test: the blocking check stops the run.
    shutil.rmtree(split_settings.splits_dir)
    paths = split_settings.config.paths
    resource = settings_resource(f"paths.data={paths.data}", f"paths.var={paths.var}",
                                 "split.train=0.5", "split.val=0.5", "split.test=0")
    result = dg.materialize([dataset_splits, splits_filled_check], instance=instance,
                            resources={"settings": resource}, raise_on_error=False)
    message = failure_logged(instance, result, caplog)
    assert "failed at dataset_splits (check splits_filled_check)" in message
    assert "kept as they are: dataset_splits" in message      # the manifest was written; the check stopped the rest
    assert "--assets 'dataset_splits*'" in message
