"""One run writing data/ at a time: the project's instance config holds a queued run of the prodseg
code location while another is in progress, whatever started it (schedule, sensor, UI).

A real instance from config/dagster.yaml, runs of the real jobs with origins in the location that
workspace.yaml defines (Dagster tags them with it, as it tags the runs the daemon and the UI launch),
and the run queue daemon's own choice of the runs to dequeue. Nothing is launched.
"""

import dagster as dg
import yaml
from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.workspace.load import location_origins_from_yaml_paths
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

from pipelines.definitions import defs as build_defs
from prodseg.settings import REPO_ROOT
from tests.pipelines.tiny import make_dagster_home

defs = build_defs()
(LOCATION,) = location_origins_from_yaml_paths([str(REPO_ROOT / "workspace.yaml")])


def submit(instance: dg.DagsterInstance, job: str, status: dg.DagsterRunStatus, location=LOCATION) -> str:
    """A run of ``job`` from ``location``, as the schedule, the sensor or the UI would create it."""
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"), job)
    run = instance.create_run_for_job(defs.resolve_job_def(job), status=status, remote_job_origin=origin,
                                      tags={"prodseg/trigger": "test"})
    assert run.tags["dagster/code_location"] == location.location_name
    return run.run_id


def test_a_second_run_of_the_location_stays_queued_while_one_is_in_progress(tmp_path):
    home = make_dagster_home(tmp_path / "dagster_home")
    daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)

        def dequeued() -> set[str]:
            return {run.run_id for run in daemon._get_runs_to_dequeue(
                instance, instance.get_concurrency_config(), fixed_iteration_time=None)}

        running = submit(instance, "full_pipeline", dg.DagsterRunStatus.STARTED)       # e.g. the weekly schedule
        retrain = submit(instance, "relabel_retrain", dg.DagsterRunStatus.QUEUED)      # e.g. the sensor
        submit(instance, "crawl", dg.DagsterRunStatus.QUEUED)                  # e.g. a click in the UI
        elsewhere = submit(instance, "crawl", dg.DagsterRunStatus.QUEUED,
                           location=type(LOCATION)(LOCATION.loadable_target_origin, "another_location"))
        assert dequeued() == {elsewhere}     # another location's runs are not held

        instance.report_run_failed(instance.get_run_by_id(running))
        assert dequeued() == {retrain, elsewhere}   # ours one at a time, oldest first: crawl waits


def test_the_postgres_instance_limits_runs_as_the_sqlite_one_does():
    run_queue = [yaml.safe_load((REPO_ROOT / "config" / name).read_text())["run_queue"]
                 for name in ("dagster.yaml", "dagster-postgres.yaml")]
    assert run_queue[0] == run_queue[1]
    assert run_queue[0]["tag_concurrency_limits"] == [
        {"key": "dagster/code_location", "value": LOCATION.location_name, "limit": 1}]
