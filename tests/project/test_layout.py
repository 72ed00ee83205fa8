"""The package's layering, as a test: imports only run downwards and there are no import cycles.

Layers, bottom to top: low-level helpers (top-level modules of ``lle``), the method's math (``lle.method``, with
the package's face ``lle`` that re-exports it) beside ``lle.data``, ``lle.models``, ``lle.training``, ``lle.store``
(storing results), ``lle.runs`` (computing them), ``lle.claims`` (deciding claims), ``lle.study`` (LLE's own
analyses), ``lle.publish``, ``lle.context`` (the comparisons), the CLI. A module may import its own layer or any lower one.
"""

import ast
import subprocess
import sys
from pathlib import Path

import lle

PACKAGE = Path(lle.__file__).parent
FACE = "lle"  # lle/__init__.py: re-exports the method's public API, so it stands on the method's layer
LAYERS = {
    "lle": 0,
    "lle.method": 1,
    "lle.data": 1,
    "lle.models": 2,
    "lle.training": 3,
    "lle.store": 4,
    "lle.runs": 5,
    "lle.claims": 6,
    "lle.study": 7,
    "lle.publish": 8,
    "lle.context": 9,
    "lle.cli": 10,
    "lle.__main__": 10,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    if module == FACE:
        return LAYERS["lle.method"]
    package = ".".join(module.split(".")[:2])
    return LAYERS.get(package, 0)


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lle"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("lle"))
    return found


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {
    name: {target for target in imports_of(path) if target in MODULES and target != name}
    for name, path in MODULES.items()
}


def test_imports_only_run_downwards():
    upward = [
        (source, target) for source, targets in GRAPH.items() for target in targets if layer(target) > layer(source)
    ]
    assert not upward, f"imports that run upward: {upward}"


def test_there_are_no_import_cycles():
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for target in GRAPH[node]:
            if state.get(target) == "open":
                raise AssertionError(f"import cycle: {' -> '.join(stack + [node, target])}")
            if target not in state:
                visit(target, stack + [node])
        state[node] = "done"

    for name in GRAPH:
        if name not in state:
            visit(name, [])


def test_the_math_imports_nothing_above_it():
    math = [name for name in MODULES if name.startswith("lle.method")]
    allowed = math + ["lle.progress"]  # grid imports the progress bar lazily, only when one is asked for
    for name in math:
        assert all(target in allowed for target in GRAPH[name]), (name, GRAPH[name])


def test_every_module_has_the_test_file_of_its_name():
    """tests/ mirrors lle/: lle/<package>/<module>.py is tested in tests/<package>/test_<module>.py (leading and
    trailing underscores dropped: lle/__main__.py in tests/test_main.py). A package face (__init__.py) that defines
    something is tested in its package's folder, as test_<package>.py."""
    tests = PACKAGE.parent / "tests"
    missing = []
    for path in PACKAGE.rglob("*.py"):
        folder = path.parent.relative_to(PACKAGE)
        if path.name == "__init__.py":
            if "\ndef " not in path.read_text() and "\nclass " not in path.read_text():
                continue
            expected = tests / folder / f"test_{path.parent.name}.py"
        else:
            expected = tests / folder / f"test_{path.stem.strip('_')}.py"
        if not expected.is_file():
            missing.append(f"{path.relative_to(PACKAGE.parent)} -> {expected.relative_to(PACKAGE.parent)}")
    assert not missing, "modules without a test file of their name: " + "; ".join(sorted(missing))


def test_the_math_imports_with_numpy_only():
    blocked = "torch transformers pandas scipy sklearn tqdm datasets matplotlib".split()
    code = (
        f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
        "import numpy as np, lle\n"
        "s = np.random.default_rng(0).normal(size=(20, 4, 3)); y = np.arange(20) % 3\n"
        "lle.classify(s, candidate_layers=range(3), target_layer=5)\n"
        "lle.select_amateur(s, candidate_layers=range(3))\n"
        "cols = lle.evaluate_grid(s, y, candidate_sets=[range(3)], betas=[0.5], as_frame=False)\n"
        "assert len(cols['macro_f1']) == 2\n"
        "try:\n    lle.evaluate_grid(s, y, candidate_sets=[range(3)], betas=[0.5])\n"
        "except ImportError as e:\n    assert 'as_frame=False' in str(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
