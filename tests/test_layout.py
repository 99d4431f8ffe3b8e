"""The package's shape: an acyclic import graph that follows the layers of docs/developers.md, no xlner import
hidden inside a function, a command line that loads no torch for `--help`, and stage modules that load only what
their jobs need."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "xlner"

# What each part of the package may import (besides itself); docs/developers.md draws the same table.
LAYERS = {
    "errors": set(), "pacing": set(), "provenance": set(), "hardware": set(),
    "settings": {"errors"},
    "precision": {"errors", "hardware", "settings"},
    "config": {"errors"},
    "formats": {"errors"},
    "analysis": {"errors", "formats"},
    "mt": {"errors", "formats", "pacing"},
    "models": {"errors", "formats", "analysis", "pacing", "provenance", "settings", "precision"},
    "align": {"errors", "formats", "models", "precision"},
    "projection": {"errors", "formats", "settings"},
    "plan": {"errors", "settings"},
    "checks": {"errors", "config", "plan"},
    "costs": {"plan", "settings"},
    "stages": {"errors", "formats", "analysis", "mt", "models", "align", "projection", "pacing", "provenance",
               "settings", "hardware"},
    "delegate": set(),
    "cli": {"errors", "settings", "formats", "delegate"},
    "worker": {"cli", "delegate"},
}


def module_name(path):
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules():
    return {module_name(path): path for path in SRC.rglob("*.py")}


def imports(path, known):
    """(imported xlner module, whether the import is inside a function) for every import in a file."""
    found = []
    tree = ast.parse(path.read_text())
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found += [(name, id(node) in nested) for name in names if name.split(".")[0] == "xlner"]
    return found


def layer(module):
    return module.split(".")[1] if module != "xlner" else "xlner"


def test_the_import_graph_is_acyclic_and_follows_the_layers():
    known = modules()
    graph = {name: {target for target, _ in imports(path, known) if target != name} for name, path in known.items()}
    for name, targets in graph.items():
        for target in targets:
            if layer(target) != layer(name) and layer(name) in LAYERS:
                assert layer(target) in LAYERS[layer(name)], f"{name} imports {target}"
    done, active = set(), []

    def visit(node):
        assert node not in active, "import cycle: " + " -> ".join(active[active.index(node):] + [node])
        if node in done:
            return
        active.append(node)
        for target in graph.get(node, ()):
            visit(target)
        active.pop()
        done.add(node)

    for name in graph:
        visit(name)


def test_no_xlner_module_is_imported_inside_a_function():
    known = modules()
    hidden = [(name, target) for name, path in known.items() for target, inside in imports(path, known) if inside]
    assert hidden == []


def test_help_loads_neither_torch_nor_transformers():
    code = "import sys; from xlner.cli import build_parser; build_parser(); print(sorted(m for m in " \
           "('torch', 'transformers') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


@pytest.mark.parametrize("module, absent", [
    # one job per translate-test column and language imports the projection stage: no scikit-learn (seqeval's
    # metrics, 1.4 s) unless it scores
    ("xlner.stages.projection", ("sklearn", "torch")),
    # vote, export and the inference jobs: no transformers Trainer (2.5 s more than the model classes)
    ("xlner.stages.models", ("transformers.trainer",)),
])
def test_stage_modules_load_only_what_their_jobs_need(module, absent):
    code = f"import sys, {module}; print(sorted(m for m in {absent!r} if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"
