"""The real ``prodseg`` CLI in a child process, importing this checkout, untouched by PRODSEG_* env vars."""

from __future__ import annotations

import os
import subprocess
import sys

from prodseg.settings import REPO_ROOT


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODSEG")}
    return {**env, "PYTHONPATH": str(REPO_ROOT)}


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "commands.cli", *args]


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cli_command(*args), cwd=REPO_ROOT, env=cli_env(), capture_output=True, text=True,
                          timeout=timeout)
