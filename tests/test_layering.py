"""The seams between the modules: no module, test, example or benchmark
reaches another module's underscored names."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SOURCES = sorted(path for folder in ("nnext", "tests", "examples", "benchmarks")
                 for path in (ROOT / folder).glob("*.py"))

# The exceptions, each with its reason.
ALLOWED_IMPORTS = {
    # The compiled core itself, tested against the NumPy references with raw
    # buffers (wrong ones too, which the engine never passes), and gradients
    # split by the layout the core writes them in.
    ("tests/test_core.py", "nnext._core"), ("tests/test_core_modern.py", "nnext._core"),
    ("tests/test_core.py", "nnext._layout"), ("tests/test_core_modern.py", "nnext._layout"),
    # The rule for the default thread count lives in the argument checks.
    ("tests/test_network.py", "nnext._checks"),
}
ALLOWED_NAMES = {
    # The engine is the one caller of the core, whose testing hook this is.
    ("nnext/engine.py", "_set_interrupt_probe"),
    ("tests/test_core.py", "_set_interrupt_probe"),
    # The state of the thread-count rule, set by the test of that rule.
    ("tests/test_network.py", "_forked_child"),
    # scikit-learn's private names that nnext.sklearn takes from scikit-learn
    # (its parameter constraints) or provides as scikit-learn's estimators do
    # (their own tests read them).
    ("nnext/sklearn.py", "_parameter_constraints"),
    ("tests/test_sklearn.py", "_parameter_constraints"),
    ("tests/test_sklearn.py", "_optimizer"),
}


def private_names_defined_in(tree):
    """The underscored names a module defines: functions, classes, and
    attributes it assigns (``self._x = ...``) or declares in a class body."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute):
                    names.add(target.attr)
                elif isinstance(target, ast.Name):
                    names.add(target.id)
    return {name for name in names if name.startswith("_")}


def reaches(path, relative=None):
    """(line, what) for each place where ``path`` (at ``relative`` in the
    repository) reaches another module's underscored name."""
    relative = relative or path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text())
    own = private_names_defined_in(tree)
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and node.attr not in own
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                and (relative, node.attr) not in ALLOWED_NAMES):
            found.append((node.lineno, f".{node.attr} of {ast.unparse(node.value)}"))
        modules = []
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nnext"):
            modules = [f"{node.module}.{alias.name}" for alias in node.names]
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names if alias.name.startswith("nnext")]
        for module in modules:
            private = any(part.startswith("_") and not part.startswith("__")
                          for part in module.split(".")[1:])
            if private and not relative.startswith("nnext/") and (
                    relative, module) not in ALLOWED_IMPORTS:
                found.append((node.lineno, f"imports {module}"))
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_module_reaches_another_modules_private_names(path):
    assert reaches(path) == []


def test_the_check_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from nnext import _checks\nimport nnext\n"
                      "nnext.NeuralNetwork([2, 1])._engine\n")
    assert reaches(sample, "tests/sample.py") == [
        (1, "imports nnext._checks"), (3, "._engine of nnext.NeuralNetwork([2, 1])")]
