"""`dg dev -w workspace.yaml` (what `make ui` runs), for real: the webserver answers, the UI's GraphQL API
lists the asset graph, the schedule and the sensors, a sensor toggles off and on, and nothing says
superseded or deprecated; then it is stopped by PID.

It runs in its own process group (start_new_session): started from a non-interactive parent it
ignores a plain SIGTERM, so the whole group gets SIGINT (its own Ctrl-C shutdown), a second one, then
SIGTERM, each with a grace that holds on a busy machine; what is left after that is killed and named in a
warning, and the group must then be gone.
"""

import http.client
import json
import os
import signal
import subprocess
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

from prodseg.settings import REPO_ROOT
from tests.pipelines.tiny import DG, free_port, make_dagster_home, outdated_lines, tiny_env

# Per signal: seconds on an idle machine, over 30 s at a load average of 9. A second Ctrl-C, then SIGTERM,
# because interrupted right after start-up its webserver sometimes misses the first SIGINT.
STOP_STEPS = ((signal.SIGINT, 45), (signal.SIGINT, 45), (signal.SIGTERM, 30))
KILLED_GROUP_GONE_S = 30
ASSETS = {"raw_catalog", "pseudo_labels", "review_corrections", "dataset_splits", "student_model", "evaluation", "tflite_models", "champion"}

REPOSITORY = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  name location { name }
  schedules { name cronSchedule scheduleState { id status } }
  sensors { name sensorState { id status } }
} } } }"""


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def graphql(base: str, query: str, variables: dict | None = None, loading_ok: bool = False) -> dict | None:
    """The query's data; with ``loading_ok``, None while the server still answers with errors
    (the code location is still loading: slow on a busy machine)."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{base}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.loads(response.read())
    if loading_ok and "errors" in payload:
        return None
    assert "errors" not in payload, payload
    return payload["data"]


def wait_for(condition, proc, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"dg dev exited with {proc.returncode} while waiting for {what}"
        try:
            result = condition()
            if result:
                return result
        except (OSError, ValueError, http.client.HTTPException):
            pass  # not listening yet, or a half-started server's partial answer
        time.sleep(1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def _group(pgid: int) -> list[str]:
    """'pid cmdline' of each live process in the group."""
    left = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and os.getpgid(int(entry.name)) == pgid:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if stat[0] != "Z":
                    cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    left.append(f"{entry.name} {cmdline[:160]}")
        except (OSError, ProcessLookupError):
            continue
    return left


def stop(proc: subprocess.Popen) -> tuple[int | None, list[str]]:
    """SIGINT to the process group (dg dev's own Ctrl-C shutdown), again, then SIGTERM, each with a
    grace for the whole group (webserver, daemon, code server) to be gone; then SIGKILL for what is left.
    Returns dg dev's exit code and what outlived the signals (empty when they stopped the group)."""
    pgid = os.getpgid(proc.pid)
    for sig, grace in STOP_STEPS:
        os.killpg(pgid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()                 # reap dg dev itself: unreaped, it still counts in its group
            if not _group(pgid):
                return proc.returncode, []
            time.sleep(0.5)
    outlived = _group(pgid)
    os.killpg(pgid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + KILLED_GROUP_GONE_S
    while _group(pgid) and time.monotonic() < deadline:
        time.sleep(0.5)
    return proc.returncode, outlived


@pytest.mark.slow
def test_dagster_dev_serves_the_graph_schedule_and_sensors_and_stops(tmp_path):
    home = make_dagster_home(tmp_path / "dagster_home")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "dagster_dev.log", "w")
    proc = subprocess.Popen([str(DG), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=REPO_ROOT, env=tiny_env(tmp_path, home), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        info = wait_for(lambda: get(f"{base}/server_info"), proc, 240, "/server_info")
        assert "dagster_webserver_version" in info

        def assets_listed():
            data = graphql(base, "{ assetNodes { assetKey { path } } }", loading_ok=True)
            return data and {"/".join(n["assetKey"]["path"]) for n in data["assetNodes"]}
        assert wait_for(assets_listed, proc, 120, "the code location's assets") == ASSETS

        (repo,) = graphql(base, REPOSITORY)["repositoriesOrError"]["nodes"]
        (schedule,) = repo["schedules"]
        assert schedule["name"] == "weekly_retrain" and schedule["scheduleState"]["status"] == "RUNNING"
        sensors = {s["name"]: s["sensorState"] for s in repo["sensors"]}
        assert set(sensors) == {"new_images_sensor", "run_failure_log", "corrections_sensor"}
        assert {s["status"] for s in sensors.values()} == {"RUNNING"}

        # Toggle the sensor as the UI's switch does.
        stopped = graphql(base, "mutation($id: String) { stopSensor(id: $id) { ... on StopSensorMutationResult "
                                "{ instigationState { status } } } }", {"id": sensors["new_images_sensor"]["id"]})
        assert stopped["stopSensor"]["instigationState"]["status"] == "STOPPED"
        selector = {"repositoryLocationName": repo["location"]["name"], "repositoryName": repo["name"],
                    "sensorName": "new_images_sensor"}
        started = graphql(base, "mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) "
                                "{ ... on Sensor { sensorState { status } } } }", {"s": selector})
        assert started["startSensor"]["sensorState"]["status"] == "RUNNING"
    finally:
        code, outlived = stop(proc)
        log.close()
    output = (tmp_path / "dagster_dev.log").read_text()
    assert not _group(proc.pid), "dg dev's group outlived SIGKILL"  # its own session: pgid == pid
    if outlived:  # seen in CI's full suite only, not alone: say what it was, the kill above ended it
        warnings.warn(f"dg dev's group outlived SIGINT, SIGINT and SIGTERM and was killed: {outlived}")
    assert code is not None and "Serving dagster-webserver" in output, output[-3000:]
    assert not outdated_lines(output), outdated_lines(output)
    # The toggle was stored in this DAGSTER_HOME's sqlite schedule storage, not in a throwaway instance.
    assert (home / "schedules" / "schedules.db").exists()
