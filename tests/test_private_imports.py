"""Issue 26: the late stages use earlier modules through their public names only.

No module under serving/, release/ or evaluation/ imports a private name (a leading underscore, dunders
aside) of another module, nor a module whose path has a private part; release uses evaluation through
``evaluation/interface.py`` only.
"""

from __future__ import annotations

import ast
from pathlib import Path

from prodseg.settings import REPO_ROOT

LATE_STAGES = ("serving", "release", "evaluation")


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of each module or name ``path`` imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += [(node.lineno, f"{node.module or ''}.{alias.name}") for alias in node.names]
    return found


def private_imports(path: Path) -> list[str]:
    """``line: what`` for each import in ``path`` that names something private of another module."""
    return [f"{line}: {name}" for line, name in imported(path) if any(map(private, name.split(".")))]


def test_the_check_sees_a_private_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from __future__ import annotations\nfrom a.b import ok, _hidden\nimport c._inner\n")
    assert private_imports(sample) == ["2: a.b._hidden", "3: c._inner"]


def test_late_stages_import_no_private_names():
    found = {path.relative_to(REPO_ROOT).as_posix(): hits for stage in LATE_STAGES
             for path in sorted((REPO_ROOT / stage).rglob("*.py")) if (hits := private_imports(path))}
    assert found == {}


def test_release_uses_evaluation_through_its_interface():
    found = [f"{path.name}:{line} {name}" for path in sorted((REPO_ROOT / "release").rglob("*.py"))
             for line, name in imported(path)
             if name.startswith("evaluation.") and not name.startswith("evaluation.interface.")]
    assert found == []
