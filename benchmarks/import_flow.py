"""Count the imports that run against the data flow (issues 17, 26); exit 1 when there is any.

Folders in data-flow order: prodseg (the base every stage shares) < demo_shop < scrapers < labelling <
corrections < training < evaluation < release < serving < assets (Dagster assets and the resources,
versions and metadata they use) < pipelines (Dagster's wiring: Definitions, checks, jobs, schedules,
sensors) < commands (the `prodseg` CLI and status summary, the entry point on top of every stage).
An import of a later folder from an earlier one runs against the flow.

    .venv/bin/python benchmarks/import_flow.py [ROOT]   # prints each such import and the totals
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ORDER = ["prodseg", "demo_shop", "scrapers", "labelling", "corrections", "training", "evaluation", "release", "serving",
         "assets", "pipelines", "commands"]


def against_flow(root: Path) -> list[tuple[str, int, str]]:
    """(file, line, imported module) for each import of a later folder."""
    rank = {name: i for i, name in enumerate(ORDER)}
    found = []
    for folder in ORDER:
        for path in sorted((root / folder).rglob("*.py")):
            file = path.relative_to(root).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                found += [(file, node.lineno, m) for m in modules if rank.get(m.split(".")[0], -1) > rank[folder]]
    return found


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else Path(__file__).resolve().parents[1])
    found = against_flow(root)
    for file, line, module in found:
        print(f"{file}:{line} imports {module}")
    pairs = {(file, module.split(".")[0]) for file, _, module in found}
    print(f"{len(found)} import statements against the flow, {len(pairs)} (module, folder) pairs")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
