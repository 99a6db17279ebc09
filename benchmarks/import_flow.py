"""Count the imports that run against the data flow (issue 17).

Folders in data-flow order: prodseg (the base) < demo_shop < scrapers < labelling < corrections < training < evaluation <
release < serving < assets < pipelines (Dagster's wiring). An import of a later folder from an earlier one
runs against the flow. prodseg/cli.py is the command line on top of every stage and is left out.

    .venv/bin/python benchmarks/import_flow.py [ROOT]   # prints each such import and the totals
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ORDER = ["prodseg", "demo_shop", "scrapers", "labelling", "corrections", "training", "evaluation", "release", "serving",
         "assets", "pipelines"]
ENTRY_POINTS = {"prodseg/cli.py"}


def against_flow(root: Path) -> list[tuple[str, int, str]]:
    """(file, line, imported module) for each import of a later folder."""
    rank = {name: i for i, name in enumerate(ORDER)}
    found = []
    for folder in ORDER:
        for path in sorted((root / folder).rglob("*.py")):
            file = path.relative_to(root).as_posix()
            if file in ENTRY_POINTS:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                found += [(file, node.lineno, m) for m in modules if rank.get(m.split(".")[0], -1) > rank[folder]]
    return found


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
    found = against_flow(root)
    for file, line, module in found:
        print(f"{file}:{line} imports {module}")
    pairs = {(file, module.split(".")[0]) for file, _, module in found}
    print(f"{len(found)} import statements against the flow, {len(pairs)} (module, folder) pairs")


if __name__ == "__main__":
    main()
