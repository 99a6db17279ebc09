"""benchmarks/import_flow.py: the repo imports only down the data flow, and an import against it fails the check."""

from __future__ import annotations

import subprocess
import sys

from prodseg.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "benchmarks" / "import_flow.py"


def check(root) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, timeout=120)


def test_the_repo_imports_only_down_the_flow():
    proc = check(REPO_ROOT)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.startswith("0 import statements against the flow"), proc.stdout


def test_an_import_against_the_flow_is_listed_and_fails(tmp_path):
    files = {
        "prodseg/status.py": "from scrapers.catalog import load_catalog\n",          # the base importing a stage
        "assets/crawl.py": "def f():\n    from pipelines import resources\n",       # assets importing the wiring
        "pipelines/definitions.py": "import assets\nfrom serving.app import app\n",  # the wiring may import below
        "commands/cli.py": "from pipelines.definitions import defs\nimport release.promote\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    proc = check(tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == ["prodseg/status.py:1 imports scrapers.catalog",
                                        "assets/crawl.py:2 imports pipelines",
                                        "2 import statements against the flow, 2 (module, folder) pairs"]
