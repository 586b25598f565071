# Sourced by the other scripts: make (or reuse) a virtual environment and
# build and install nnext into it from this checkout.
# NNEXT_DEBUG_CYTHON=1 builds the bounds-checked variant, in its own environment.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "${NNEXT_DEBUG_CYTHON:-0}" != "0" ]; then venv=.venv-debug; else venv=.venv; fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet ".[test]"
export PATH="$PWD/$venv/bin:$PATH"
