"""The package's import graph has no cycle, between modules or between folders, and each folder imports
only the layers below its own (docs/architecture.md).

Every import counts, wherever it stands: at the top, inside a function, under ``TYPE_CHECKING``.
``from X import name`` counts as importing the module ``X.name`` when there is one, else ``X``.
A folder is the first package under ``emolens`` (``emolens.video.io`` -> ``video``); a top-level
module is its own node (``emolens.errors`` -> ``errors``). Edges to ``emolens/__init__`` (the public
names) are left out: it sits above everything and imports nothing back.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "emolens"

Graph = dict[str, set[str]]

#: The folders and top-level modules, lowest first; each may import only those of the layers below it.
LAYERS: list[set[str]] = [
    {"cpu", "errors", "fields", "labels", "paths"},
    {"deprecation", "extras", "imageio", "charts"},
    {"models", "runtime"},
    {"data", "detection"},
    {"pipeline"},
    {"video"},
    {"evaluation", "training"},
    {"export", "reports"},
    {"batch", "service"},
    {"cli"},
    {"testing"},
]


def module_name(path: Path) -> str:
    """``src/emolens/video/io.py`` -> ``emolens.video.io``; a package's ``__init__.py`` -> the package."""
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name."""
    return {module_name(path): path for path in sorted((SRC / ROOT).rglob("*.py"))}


def imported(path: Path, name: str, known: Iterable[str]) -> set[str]:
    """The package's modules that the module ``name`` at ``path`` imports, anywhere in its body."""
    known = set(known)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import emolens.x.y` where y is a name, not a module
                target = target.rpartition(".")[0]
            if target and target not in (ROOT, name):
                found.add(target)
    return found


def module_graph() -> Graph:
    """Module -> the package's modules it imports."""
    known = modules()
    return {name: imported(path, name, known) for name, path in known.items() if name != ROOT}


def folder(module: str) -> str:
    """The first package under ``emolens`` that holds ``module``, or the top-level module itself."""
    return module.split(".")[1]


def folder_graph(graph: Graph) -> Graph:
    """Folder -> the folders its modules import."""
    folders: Graph = {}
    for source, targets in graph.items():
        folders.setdefault(folder(source), set()).update(folder(t) for t in targets if folder(t) != folder(source))
    return folders


def find_cycle(graph: Graph) -> list[str] | None:
    """One cycle of ``graph`` as the path ``[a, b, ..., a]``, or None when it has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_counts_imports_inside_functions_relative_ones_and_submodules_named_by_from() -> None:
    graph = module_graph()
    assert "emolens.charts.figures" in graph["emolens.batch.summary"]  # inside a function
    assert "emolens.cli.video" in graph["emolens.cli"]  # `from emolens.cli import video`: the module
    assert "emolens.cli.shared" in graph["emolens.cli.video"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_itself_back() -> None:
    cycle = find_cycle(module_graph())
    assert cycle is None, "import cycle between modules: " + " -> ".join(cycle or [])


def test_no_folder_imports_itself_back() -> None:
    cycle = find_cycle(folder_graph(module_graph()))
    assert cycle is None, "import cycle between folders: " + " -> ".join(cycle or [])


def test_each_folder_imports_only_the_layers_below_it() -> None:
    layer = {name: level for level, names in enumerate(LAYERS) for name in names}
    folders = folder_graph(module_graph())
    assert set(folders) <= set(layer), f"place these in LAYERS and docs/architecture.md: {set(folders) - set(layer)}"
    upward = sorted(f"{a} -> {b}" for a, targets in folders.items() for b in targets if layer[b] >= layer[a])
    assert not upward, "imports of the same or a higher layer: " + ", ".join(upward)
