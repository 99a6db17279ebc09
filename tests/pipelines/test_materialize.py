"""The whole asset graph through `dg launch --assets` (what `make demo` runs), for real, on the tiny demo shop.

One pipeline, three runs (the stages are too slow to run the graph twice):
1. `--select '*'` (what `make demo` runs) with the MLflow store unusable: the graph fails at
   student_model, and the crawl, labels and splits stay materialized with their files;
2. the command the run-failure sensor's message gives: resumes at student_model and materializes
   the rest of the graph, without recomputing what run 1 kept;
3. student_model again with nothing changed: its previous result is kept, no new model version.
"""

import shlex
import subprocess
from pathlib import Path

import dagster as dg
import mlflow
import pytest

from assets import versions
from pipelines.definitions import defs as build_defs
from prodseg.settings import REPO_ROOT
from scrapers.catalog import load_catalog
from tests.pipelines.tiny import DG, IN_PROCESS, make_dagster_home, outdated_lines, tiny_env

EARLIER = ["raw_catalog", "pseudo_labels", "review_corrections", "dataset_splits"]
defs = build_defs()


def materialize(selection: str, env: dict) -> subprocess.CompletedProcess:
    return dg_cli(["launch", "--assets", selection], env)


def dg_cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    """`dg ARGS`, checked for a superseded/deprecated warning (what a new user would read)."""
    proc = subprocess.run([str(DG), *args, *IN_PROCESS], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=420)
    assert not outdated_lines(proc.stdout + proc.stderr), outdated_lines(proc.stdout + proc.stderr)
    return proc


def metadata(instance: dg.DagsterInstance, key: str) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(key))
    assert event is not None, f"{key} was never materialized"
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def count(instance: dg.DagsterInstance, key: str) -> int:
    return len(instance.fetch_materializations(dg.AssetKey(key), limit=100).records)


def failure_log_message(instance: dg.DagsterInstance, run: dg.DagsterRun, caplog) -> str:
    """Evaluate the real run-failure sensor on the failed run; return what it logged."""
    sensor = defs.resolve_sensor_def("run_failure_log")
    failure = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1].dagster_event
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_event=failure, dagster_instance=instance, dagster_run=run,
    ).for_run_failure()
    with caplog.at_level("ERROR", logger="prodseg.pipelines"):
        sensor(context)
    return next(r.getMessage() for r in caplog.records if r.name == "prodseg.pipelines")


@pytest.mark.slow
def test_graph_fails_keeps_earlier_assets_resumes_from_the_failed_one_and_reuses_unchanged(tmp_path, caplog):
    home = make_dagster_home(tmp_path / "dagster_home")
    blocked = tmp_path / "mlflow-store"
    blocked.write_text("a file where the MLflow store's folder should be")
    env = {**tiny_env(tmp_path, home), "MLFLOW_TRACKING_URI": f"sqlite:///{blocked}/mlflow.db"}

    # 1. The whole graph, failing at student_model.
    first = materialize("*", env)
    assert first.returncode != 0, "the run should fail at student_model"
    catalog = load_catalog(tmp_path / "data" / "raw" / "catalog.parquet")
    assert catalog["product_id"].nunique() == 24
    for path in ("raw/catalog.parquet", "labels/labels.parquet", "splits/splits.parquet"):
        assert (tmp_path / "data" / path).exists(), path
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert [count(instance, key) for key in EARLIER] == [1, 1, 1, 1]
        assert count(instance, "student_model") == 0
        run = instance.get_runs(limit=1)[0]
        assert run.status == dg.DagsterRunStatus.FAILURE
        message = failure_log_message(instance, run, caplog)
    assert "failed at student_model" in message and "FileExistsError" in message, message
    assert "kept as they are: dataset_splits, pseudo_labels, raw_catalog, review_corrections" in message, message

    # 2. Fix the store; resume with the command the failure message gives.
    blocked.unlink()
    command = message.split("`")[-2]
    assert command == "dg launch --assets 'student_model*'"
    second = dg_cli(shlex.split(command)[1:], env)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert [count(instance, key) for key in EARLIER] == [1, 1, 1, 1], "resuming recomputed earlier assets"
        graph = sorted(key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys())
        missing = [key for key in graph if count(instance, key) != 1]
        assert not missing, f"not materialized exactly once: {missing}"
        crawl, labels = metadata(instance, "raw_catalog"), metadata(instance, "pseudo_labels")
        splits, student = metadata(instance, "dataset_splits"), metadata(instance, "student_model")
        checks = {name: instance.get_latest_asset_check_evaluation_record(dg.AssetCheckKey(dg.AssetKey(asset), name))
                  for asset, name in (("pseudo_labels", "accepted_share_check"), ("pseudo_labels", "label_iou_check"),
                                      ("dataset_splits", "splits_filled_check"))}
        student_event = instance.get_latest_materialization_event(dg.AssetKey("student_model"))
        evaluation = metadata(instance, "evaluation")
        evaluation_event = instance.get_latest_materialization_event(dg.AssetKey("evaluation"))
    assert crawl["rows"] == len(catalog) and sum(crawl["rows_per_class"].values()) == len(catalog)
    assert crawl["product_pages_per_s"] > 0
    assert labels["images"] == len(catalog) and labels["labeller"] == "grabcut"
    assert Path(labels["review_gallery"]).exists()
    assert min(splits["train_images"], splits["val_images"], splits["test_images"]) > 0
    assert splits["corrections_counted"] == 0 and splits["corrected_images"] == 0   # nobody reviewed yet
    for name, record in checks.items():
        assert record is not None and record.event is not None, f"{name} did not run"
    assert student["registered_model"] == "models:/prodseg-student/1"
    # Plots show as pictures; each materialization links to its MLflow run, which carries the Dagster run id.
    for shown in (student["learning_curves"], evaluation["gallery"], evaluation["per_class_iou"]):
        assert "](data:image/" in shown and "/get-artifact?path=" in shown
    client = mlflow.MlflowClient(env["MLFLOW_TRACKING_URI"])
    for meta, event, run_id in ((student, student_event, student["mlflow_run_id"]),
                                (evaluation, evaluation_event, evaluation["mlflow_run"].rsplit("/", 1)[-1])):
        run = client.get_run(run_id)
        assert meta["mlflow_run"] == f"http://127.0.0.1:5000/#/experiments/{run.info.experiment_id}/runs/{run_id}"
        assert run.data.tags["dagster.run_id"] == event.run_id
    assert student["encoder_weights_used"] == "none"
    # Versions: code versions from dvc.yaml deps, data versions from the outputs, DVC hashes per output.
    assert student_event.asset_materialization.tags["dagster/code_version"] == versions.code_version("train")
    assert crawl["dvc_outs"]["data/raw"]["md5"].endswith(".dir")
    assert "outside the DVC workspace" in crawl["dvc_outs"]["data/raw"]["status"]

    # 3. Nothing changed: student_model keeps its model instead of training again.
    third = materialize("student_model", env)
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        again = instance.get_latest_materialization_event(dg.AssetKey("student_model"))
        reused = metadata(instance, "student_model")
    assert "unchanged since run" in reused["reused"]
    assert reused["registered_model"] == "models:/prodseg-student/1"
    assert (again.asset_materialization.tags["dagster/data_version"]
            == student_event.asset_materialization.tags["dagster/data_version"])
