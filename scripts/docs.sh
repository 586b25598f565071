#!/usr/bin/env bash
# Build the documentation into docs/_build, with every Sphinx warning an error
# (a broken docstring fails), then run every Python block of the README and
# of its pages, and the examples of the docstrings (tests/docs_blocks.py).
NNEXT_EXTRAS="test,docs" source "$(dirname "$0")/venv.sh"
sphinx-build -W -q docs docs/_build
echo "docs: built docs/_build/index.html"
pytest -q -p no:cacheprovider tests/docs_blocks.py
