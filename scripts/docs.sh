#!/usr/bin/env bash
# Build the documentation into docs/_build, with every Sphinx warning an error
# (a broken docstring fails).
source "$(dirname "$0")/venv.sh"
python -m pip install --quiet ".[docs]"
sphinx-build -W -q docs docs/_build
echo "docs: built docs/_build/index.html"
