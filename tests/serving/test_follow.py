"""Following the registry's champion, the canary for the challenger, and telling servers after a promotion.

Real servers on 127.0.0.1, a real sqlite MLflow registry, the tiny session models.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time

import httpx
import pytest
from mlflow import MlflowClient

from release.notify import notify_reload
from release.registry import CHALLENGER, CHAMPION
from release.tflite import classes_beside
from serving.app import create_app
from serving.server import running_server
from tests.pipelines.tiny import free_port
from tests.serving.helpers import DEMO, NAME, encoded, photo, register, serve_process, serve_settings

FOLLOW_S = 0.5
SMALL = encoded(photo(48, 36))


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # the settings' sqlite store, not the developer's
    return tmp_path


def predict(client: httpx.Client) -> httpx.Response:
    return client.post("/predict", files={"image": ("a.png", SMALL)})


def wait_for(check, timeout: float, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)
    return found


def test_the_server_follows_a_new_champion_without_a_failed_request(root, models_dir, student_int8):
    settings = serve_settings(root, follow_seconds=FOLLOW_S)
    register(settings, {"int8": student_int8})
    answers: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def keep_asking(url):  # a client busy with requests through the whole switch
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop.is_set():
                response = predict(client)
                answers.append((response.status_code, response.json().get("model", {}).get("version")))

    with running_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        before = client.get("/model").json()
        assert before["version"] == "1" and before["follow"]["every_s"] == FOLLOW_S
        asking = threading.Thread(target=keep_asking, args=(url,))
        asking.start()
        try:
            wait_for(lambda: len(answers) >= 3, 30)
            register(settings, {"int8": models_dir / "dark-int8.tflite"})
            moved = time.monotonic()
            wait_for(lambda: client.get("/model").json()["version"] == "2", 30)
            took = time.monotonic() - moved
            wait_for(lambda: answers[-1][1] == "2", 10)
        finally:
            stop.set()
            asking.join(30)
        after = client.get("/model").json()
    assert not [t for t in threading.enumerate() if t.name == "follow-champion"]  # stopped with the server
    # The alias is seen within one interval (+10% jitter); loading the tiny model beside the old one adds little.
    assert {status for status, _ in answers} == {200}, answers
    print(f"switched {took:.2f} s after the alias moved; {len(answers)} answers, all 200")
    assert took < FOLLOW_S * 1.1 + 5, took  # slack for a loaded CI machine
    versions = [version for _, version in answers]
    assert versions[0] == "1" and versions[-1] == "2"
    assert versions == sorted(versions)  # swapped whole, once: never back to the old one
    assert after["since"] > before["since"] and after["aliases"] == [CHAMPION]
    assert after["follow"]["last_check"]["trigger"] == "follow"
    assert after["follow"]["last_check"]["at"] >= after["since"]
    assert after["requests"]["1"]["requests"] + after["requests"]["2"]["requests"] >= len(answers)


def test_a_champion_that_cannot_load_leaves_the_old_one_serving(root, models_dir, tmp_path):
    settings = serve_settings(root, follow_seconds=0.2)
    register(settings, {"int8": models_dir / "dark-int8.tflite"})
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a model at all")
    with running_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        register(settings, {"int8": broken})
        def last_check():
            return client.get("/model").json()["follow"]["last_check"]

        first = wait_for(lambda: (c := last_check()) and c["result"] == "failed" and c, 15)
        assert "cannot load" in first["error"] and "prodseg-student-v2" in first["error"]
        again = wait_for(lambda: (c := last_check())["at"] > first["at"] and c, 5)
        assert again["result"] == "failed"  # tried again at the next check
        served = client.get("/model").json()
        assert served["version"] == "1"
        response = predict(client)
        assert response.status_code == 200 and response.json()["model"]["version"] == "1"
        [found] = response.json()["predictions"]
        assert found["label"] == "couch"


def test_the_canary_sends_its_share_to_the_challenger_and_counts_each_version(root, models_dir):
    settings = serve_settings(root, canary_share=0.5)
    dark = models_dir / "dark-int8.tflite"
    register(settings, {"int8": dark})
    register(settings, {"int8": dark}, alias=CHALLENGER)  # the same weights: every answer is checkable
    requests = 200
    with running_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        model = client.get("/model").json()
        assert model["version"] == "1" and model["canary"]["challenger"]["version"] == "2"
        counts = {"1": 0, "2": 0}
        for i in range(requests):
            if i % 3:
                response = predict(client)
                assert response.status_code == 200
                version = response.json()["model"]["version"]
                assert response.json()["predictions"][0]["label"] == "couch"
            else:
                response = client.post("/segment", files={"image": ("a.png", SMALL)})
                assert response.status_code == 200 and response.headers["content-type"] == "image/png"
                version = response.headers["X-Model-Version"]
            counts[version] += 1
        refused = client.post("/segment", files={"image": ("a.png", SMALL)}, data={"label": "vase"})
        assert refused.status_code == 422
        summary = client.get("/model").json()["requests"]
        metrics = client.get("/metrics")
    # Binomial(200, 0.5): sd 7.1; 100 ± 35 (5 sd) fails by chance about once in 10^6 runs.
    assert abs(counts["2"] - requests / 2) <= 35, counts
    assert sum(row["requests"] for row in summary.values()) == requests + 1
    assert sum(row["refused"] for row in summary.values()) == 1
    for version, count in counts.items():
        assert summary[version]["requests"] - summary[version]["refused"] == count
        assert summary[version]["errors"] == 0 and summary[version]["latency_ms"]["mean"] > 0
        assert f'prodseg_requests_total{{outcome="ok",version="{version}"}} {float(count)}' in metrics.text
        assert f'prodseg_request_seconds_count{{version="{version}"}}' in metrics.text
    assert metrics.headers["content-type"].startswith("text/plain")


def test_notify_reloads_a_known_server_and_warns_about_one_that_is_down(root, models_dir, student_int8):
    settings = serve_settings(root)
    register(settings, {"int8": student_int8})
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with running_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        register(settings, {"int8": models_dir / "dark-int8.tflite"})
        assert client.get("/model").json()["version"] == "1"  # not following: only told
        told, missed = notify_reload([url, down], timeout=5)
        assert told.ok and told.detail == "serving v2 (reloaded)"
        assert client.get("/model").json()["version"] == "2"
        assert not missed.ok and missed.url == down and "not reachable" in missed.detail
        with socket.socket() as slow:  # listens, never answers: a server stuck loading
            slow.bind(("127.0.0.1", 0))
            slow.listen()
            [late] = notify_reload([f"http://127.0.0.1:{slow.getsockname()[1]}"], timeout=0.3)
        assert not late.ok and late.detail == "no answer within 0.3 s (it may still load the model)"
        [again] = notify_reload([url], timeout=5)
        assert again.ok and again.detail == "serving v2 (unchanged)"
        MlflowClient(settings.mlflow_tracking_uri).delete_registered_model_alias(NAME, CHAMPION)
        [refused] = notify_reload([url], timeout=5)
        assert not refused.ok and refused.detail.startswith("HTTP 503: no champion")


def test_prodseg_serve_follows_a_replaced_model_file_and_stops_its_follower(tmp_path, models_dir, student_int8):
    served = tmp_path / "model.tflite"
    shutil.copyfile(student_int8, served)
    DEMO.save(classes_beside(served))   # the list a model file carries beside it
    with (serve_process(tmp_path, served, tmp_path / "data", workers=1, follow_seconds=0.3) as (url, _pid),
          httpx.Client(base_url=url, timeout=30) as client):
        assert client.get("/model").json()["follow"]["every_s"] == 0.3
        shutil.copyfile(models_dir / "dark-int8.tflite", served)
        wait_for(lambda: client.get("/model").json()["file_bytes"] == served.stat().st_size, 10)
        [found] = predict(client).json()["predictions"]
        assert found["label"] == "couch"
    log = (tmp_path / "server.log").read_text()
    assert "follow: now serving model.tflite (tflite)" in log
    assert "Application shutdown complete" in log  # SIGTERM ran the lifespan's end: the follower was stopped


def test_the_champion_asset_tells_a_server_and_warns_about_one_that_is_down(root, models_dir, student_int8):
    import dagster as dg
    import mlflow

    from assets.evaluation import champion
    from assets.resources import LabellerResource, MlflowResource, SettingsResource

    settings = serve_settings(root)
    register(settings, {"int8": student_int8})
    evaluated = register(settings, {"int8": models_dir / "dark-int8.tflite"}, alias=None)
    settings.evaluation_dir.mkdir(parents=True)
    (settings.evaluation_dir / "report.json").write_text(json.dumps({  # what `prodseg evaluate` leaves
        "model_name": NAME, "model_version": evaluated,
        "student": {"test_mean_iou": 0.9, "box_map50": 0.9, "size_mb": 0.01, "latency_ms": 1.0}}))
    down = f"http://127.0.0.1:{free_port()}"
    global_uri = mlflow.get_tracking_uri()
    with running_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        # The first promotion (no champion: nothing to re-score) while a server still serves v1.
        MlflowClient(settings.mlflow_tracking_uri).delete_registered_model_alias(NAME, CHAMPION)
        resource = SettingsResource(labeller=LabellerResource(), mlflow=MlflowResource(
            tracking_uri=settings.mlflow_tracking_uri), overrides=[
            f"paths.data={settings.data_dir}", f"paths.var={settings.var_dir}",
            f"serve.notify_urls=[{url}, {down}]", "serve.notify_timeout_s=5"])
        try:
            result = dg.materialize([champion], resources={"settings": resource})
        finally:
            mlflow.set_tracking_uri(global_uri)  # run_promote points MLflow's global URI at the test store
        assert result.success
        served = client.get("/model").json()
    metadata = result.asset_materializations_for_node("champion")[0].metadata
    assert metadata["promoted"].value is True and metadata["version"].value == evaluated
    assert served["version"] == evaluated and served["follow"]["last_check"]["trigger"] == "reload"
    assert metadata["notify_warnings"].value == 1
    told, missed = metadata["servers_notified"].value.splitlines()
    assert told == f"- {url}: serving v{evaluated} (reloaded)"
    assert missed.startswith(f"- {down}: not reachable")
