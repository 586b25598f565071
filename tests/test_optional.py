"""The optional extras: `import nnext` imports neither matplotlib nor
scikit-learn, and the module that needs one says which extra to install."""
import subprocess
import sys

import pytest

EXTRAS = [("nnext.plot", "matplotlib", "plot"), ("nnext.sklearn", "sklearn", "sklearn")]
LONG_NAMES = {"matplotlib": "matplotlib", "sklearn": "scikit-learn"}


def run_python(script, cwd):
    """Run script in a fresh interpreter, away from the checkout (whose nnext/
    has no compiled core)."""
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_import_nnext_imports_no_extra(tmp_path):
    out = run_python("import sys, nnext; nnext.fit; nnext.save\n"
                     "print(sorted({'matplotlib', 'sklearn', 'scipy'} & set(sys.modules)))",
                     tmp_path)
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize("module, dependency, extra", EXTRAS)
def test_a_missing_extra_is_named_in_one_import_error(module, dependency, extra, tmp_path):
    out = run_python(f"import sys; sys.modules[{dependency!r}] = None\n"
                     f"try:\n    import {module}\nexcept ImportError as e:\n    print(e)\n",
                     tmp_path)
    assert out.stdout.strip() == (f'{module} needs {LONG_NAMES[dependency]}, the "{extra}" '
                                  f'extra: pip install "nnext[{extra}]"'), out.stderr
