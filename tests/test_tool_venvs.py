"""DVC runs from its own venv: in one venv its antlr4 4.9 pin breaks Dagster's selection parser."""

import importlib.metadata
import subprocess

import pytest

from prodseg.settings import REPO_ROOT

DVC_VENV = REPO_ROOT / ".venv-dvc"
pytestmark = pytest.mark.skipif(not (DVC_VENV / "bin" / "dvc").exists(), reason="no .venv-dvc (make dvc-venv)")


def test_dvc_reads_the_pipeline_stages():
    out = subprocess.run([str(DVC_VENV / "bin" / "dvc"), "stage", "list"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "crawl"


def test_each_venv_keeps_its_own_antlr4():
    assert importlib.metadata.version("antlr4-python3-runtime").startswith("4.13")
    dvc_side = subprocess.run(
        [str(DVC_VENV / "bin" / "python"), "-c",
         "import importlib.metadata as m; print(m.version('antlr4-python3-runtime'))"],
        capture_output=True, text=True, timeout=60)
    assert dvc_side.stdout.strip().startswith("4.9")
