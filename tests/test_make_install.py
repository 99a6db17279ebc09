"""`make install` runs uv, which does not read pip's configuration: the Makefile hands pip's indexes, wheel
folders and constraints on. Checked by expanding its UV_INSTALL command with a pip.conf made here."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from prodseg.settings import REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def uv_command(tmp_path: Path, pip_conf: str | None) -> list[str]:
    """UV_INSTALL as the recipe's shell expands it; ``pip_conf`` None: pip reads no configuration at all."""
    conf = tmp_path / "pip.conf"
    conf.write_text(pip_conf or "")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = str(conf) if pip_conf is not None else os.devnull
    out = subprocess.run(["make", "-s", "-f", "Makefile", "--eval", "show-uv: ; @echo $(UV_INSTALL)", "show-uv",
                          f"BIN={Path(sys.executable).parent}"],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_pips_indexes_wheel_folders_and_constraints_reach_uv(tmp_path):
    words = uv_command(tmp_path, "[global]\nextra-index-url = file:///idx/a file:///idx/b\n"
                                 "find-links = /wheels\nconstraint = /etc/caps.txt\n")
    assert words[1:3] == ["pip", "install"] and "unsafe-best-match" in words
    flags = list(zip(words, words[1:]))
    for pair in [("--extra-index-url", "file:///idx/a"), ("--extra-index-url", "file:///idx/b"),
                 ("--find-links", "/wheels"), ("--constraint", "/etc/caps.txt")]:
        assert pair in flags, words


def test_a_pip_without_configuration_hands_nothing_on(tmp_path):
    words = uv_command(tmp_path, None)
    assert not [w for w in words if w in ("--index-url", "--extra-index-url", "--find-links", "--constraint")]
