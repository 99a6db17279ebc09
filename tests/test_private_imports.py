"""Issue 26: the late stages use earlier modules through their public names only.

No module under serving/, release/ or evaluation/ imports a private name (a leading underscore, dunders
aside) of another module, nor a module whose path has a private part.
"""

from __future__ import annotations

import ast
from pathlib import Path

from prodseg.settings import REPO_ROOT

LATE_STAGES = ("serving", "release", "evaluation")


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(path: Path) -> list[str]:
    """``line: what`` for each import in ``path`` that names something private of another module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [f"{node.lineno}: {name}" for name in names if any(map(private, name.split(".")))]
    return found


def test_the_check_sees_a_private_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from __future__ import annotations\nfrom a.b import ok, _hidden\nimport c._inner\n")
    assert private_imports(sample) == ["2: a.b._hidden", "3: c._inner"]


def test_late_stages_import_no_private_names():
    found = {path.relative_to(REPO_ROOT).as_posix(): hits for stage in LATE_STAGES
             for path in sorted((REPO_ROOT / stage).rglob("*.py")) if (hits := private_imports(path))}
    assert found == {}
