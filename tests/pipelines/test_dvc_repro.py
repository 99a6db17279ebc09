"""`dvc repro` of dvc.yaml, for real, on a copy of the repository with a tiny params.yaml: every stage
runs, a second repro runs none, metrics and plots show the evaluation, the output hashes the
Dagster assets record (assets/versions.py) are the ones DVC wrote to dvc.lock, and the outputs
push to the default remote (a folder under var/).

The copy keeps the repository's own data/ and var/ out of it: `prodseg` there imports the copy's
code (PYTHONPATH), so its settings resolve every path inside the copy.
"""

import json
import subprocess

import pytest
import yaml

from assets import versions
from prodseg.settings import REPO_ROOT, Settings
from tests.pipelines.tiny import TINY, clean_environ, free_port

DVC = REPO_ROOT / ".venv-dvc" / "bin" / "dvc"
STAGES = ["crawl", "label", "review", "split", "train", "evaluate", "export"]
pytestmark = pytest.mark.skipif(not DVC.exists(), reason="no .venv-dvc (make dvc-venv)")


def copy_repository(dest):
    """The working tree as git sees it (tracked and new files, nothing ignored), with the project venv."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO_ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = REPO_ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    (dest / ".venv").symlink_to(REPO_ROOT / ".venv")
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)  # DVC keeps dvc.lock beside a git repo


def tiny_params(workspace) -> None:
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    for section, values in TINY.items():
        params.setdefault(section, {}).update(values)
    params["shop"]["port"] = free_port()
    (workspace / "params.yaml").write_text(yaml.safe_dump(params))


def without_nulls(metrics: dict) -> dict:
    """What `dvc metrics show` shows of a metrics file: the numbers, not the nulls."""
    return {k: without_nulls(v) if isinstance(v, dict) else v for k, v in metrics.items() if v is not None}


def dvc(workspace, *args: str) -> str:
    env = {**clean_environ(), "PYTHONPATH": str(workspace), "DVC_NO_ANALYTICS": "1"}
    proc = subprocess.run([str(DVC), *args], cwd=workspace, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"dvc {' '.join(args)}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


@pytest.mark.slow
def test_dvc_repro_runs_every_stage_once_and_shows_the_evaluation(tmp_path):
    workspace = tmp_path / "repo"
    copy_repository(workspace)
    tiny_params(workspace)

    first = dvc(workspace, "repro")
    assert [s for s in STAGES if f"Running stage '{s}'" in first] == STAGES, first[-3000:]
    assert (workspace / "data" / "tflite" / "student-fp32.tflite").exists()
    train_report = json.loads((workspace / "data" / "models" / "train_report.json").read_text())
    assert train_report["model_path"].startswith(str(workspace)), "the stages wrote outside the copy"

    second = dvc(workspace, "repro")
    assert "Running stage" not in second, second
    assert all(f"Stage '{s}' didn't change, skipping" in second for s in STAGES), second

    metrics = json.loads(dvc(workspace, "metrics", "show", "--json"))
    shown = metrics[""]["data"]["data/evaluation/metrics.json"]["data"]
    assert shown and shown == without_nulls(json.loads((workspace / "data" / "evaluation" / "metrics.json").read_text()))
    plots = json.loads(dvc(workspace, "plots", "show", "--json"))
    assert "data/evaluation/per_class_iou.csv" in json.dumps(plots)

    # The hashes the Dagster assets record for each output match what DVC locked.
    settings = Settings.load(environ={}, repo_root=workspace)
    for stage in STAGES:
        status = versions.dvc_outs_status(settings, stage)
        assert {out: s["status"] for out, s in status.items()} == dict.fromkeys(status, "matches dvc.lock"), stage

    # The default remote is a folder under the runtime folder.
    assert "pushed" in dvc(workspace, "push")
    assert any((workspace / "var" / "dvc-remote").rglob("*")), "nothing in the local remote"
