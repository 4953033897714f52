"""The layers of the Brain, declared once, and the checks that hold the code to them.

Each floor's packages may import packages on lower floors only: nothing runs back up, two
packages on one floor never import each other, so no two top-level packages can form a cycle
(checked separately all the same, so a change to the floor list cannot hide one). Domain cores
import no infrastructure.

The checks read imports as text (``ast``), including imports inside functions and under
``TYPE_CHECKING``: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Top-level packages, lowest floor first.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("kernel",),  # canonical events, standardisation, transport, storage, errors, settings
    ("identity", "feature_repo"),  # domain cores and feature declarations
    ("customer360", "features"),  # derived state
    ("pipelines",),  # connectors, processors, simulator
    ("models",),  # training, registry, decision policy
    ("bento_service",),  # the API
    ("cli",),  # the composition root of every deployable
    ("infra",),  # the local services: topics, scratch databases, worker processes for tests and benches
    ("bench",),  # benchmarks
)

#: Libraries of infrastructure a domain core must not import.
INFRASTRUCTURE = frozenset({"kafka", "redis", "feast", "bentoml", "mlflow", "sqlalchemy", "psycopg"})

#: Domain cores: identity resolution, the decision policy, Customer 360 survivorship.
DOMAIN_CORES: tuple[str, ...] = ("identity", "models/decisioning", "customer360/_survivorship.py")


@dataclass(frozen=True, order=True)
class Import:
    source: str  # file, relative to the root
    line: int
    importer: str  # top-level package of the file
    imported: str  # top-level package (or library) imported
    module: str  # the whole imported module name


def floors(layers: Sequence[Sequence[str]] = LAYERS) -> dict[str, int]:
    return {package: floor for floor, packages in enumerate(layers) for package in packages}


def imports_of(path: Path, root: Path) -> list[Import]:
    """Absolute imports of one file (relative imports stay inside its package)."""
    rel = path.relative_to(root)
    importer = rel.parts[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            found.append(Import(str(rel), getattr(node, "lineno", 0), importer, name.split(".")[0], name))
    return found


def package_imports(root: Path, packages: Iterable[str]) -> list[Import]:
    out: list[Import] = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            out.extend(imports_of(path, root))
    return out


def upward_imports(imports: Iterable[Import], layers: Sequence[Sequence[str]] = LAYERS) -> list[Import]:
    """Imports of a package on the same or a higher floor than the importer's."""
    floor = floors(layers)
    return sorted(
        i
        for i in imports
        if i.imported in floor and i.imported != i.importer and floor[i.imported] >= floor[i.importer]
    )


def package_cycles(imports: Iterable[Import]) -> list[list[str]]:
    """Cycles in the graph of top-level packages (each cycle once, from its smallest name)."""
    graph: dict[str, set[str]] = {}
    for i in imports:
        if i.imported != i.importer:
            graph.setdefault(i.importer, set()).add(i.imported)
    cycles: set[tuple[str, ...]] = set()

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycle = path[path.index(nxt) :]
                start = cycle.index(min(cycle))
                cycles.add(tuple(cycle[start:] + cycle[:start]))
            elif nxt in graph:
                walk(nxt, [*path, nxt])

    for node in sorted(graph):
        walk(node, [node])
    return [list(c) for c in sorted(cycles)]


def infrastructure_in_cores(
    root: Path, cores: Sequence[str] = DOMAIN_CORES, infrastructure: frozenset[str] = INFRASTRUCTURE
) -> list[Import]:
    leaked: list[Import] = []
    for core in cores:
        target = root / core
        files = [target] if target.is_file() else sorted(target.rglob("*.py"))
        if not files:
            raise FileNotFoundError(f"domain core {core} has no Python files")
        for path in files:
            leaked.extend(i for i in imports_of(path, root) if i.imported in infrastructure)
    return leaked


def describe(found: Iterable[Import], floor: Mapping[str, int] | None = None) -> str:
    floor = floor or floors()
    return "\n".join(
        f"{i.source}:{i.line} ({i.importer}, floor {floor.get(i.importer, '?')}) imports {i.module} "
        f"(floor {floor.get(i.imported, '?')})"
        for i in found
    )
