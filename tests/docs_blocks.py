"""Run every Python block of the README and of the documentation's pages,
and the examples in the public docstrings, as a reader would.

The blocks of one page run in order in one namespace (a page is one
session: a block may use what an earlier block of its page defined), in a
fresh folder, with matplotlib drawing off screen.  A block that raises fails
its page, named by its line.  ``scripts/docs.sh`` runs this file with
pytest, after building the documentation.
"""
import doctest
import pathlib
import re

import pytest

import nnext

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def python_blocks(page):
    """(line, source) of each Python block of a Markdown page."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 2, match.group(1))
            for match in BLOCK.finditer(text)]


@pytest.fixture
def in_fresh_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


@pytest.mark.filterwarnings("error::UserWarning")    # a reader should see none
@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)],
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_page_blocks_run(page, in_fresh_folder):
    namespace = {"__name__": "__main__"}
    for line, source in python_blocks(page):
        code = compile(source, f"{page.relative_to(ROOT)}:{line}", "exec")
        exec(code, namespace)       # noqa: S102 (the page's own code)


def public_modules():
    return sorted({getattr(nnext, name).__module__ for name in nnext.__all__
                   if hasattr(getattr(nnext, name), "__module__")}
                  | {"nnext.sklearn", "nnext.plot"})


@pytest.mark.filterwarnings("error::UserWarning")
@pytest.mark.parametrize("module_name", public_modules())
def test_docstring_examples_run(module_name, in_fresh_folder):
    module = pytest.importorskip(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name,
                            extraglobs={"np": __import__("numpy"), "nnext": nnext}):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} docstring example(s) of {module_name} failed"
