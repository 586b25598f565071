# Sourced by the other scripts: make (or reuse) a virtual environment and
# build and install nnext into it from this checkout, with the extras that
# NNEXT_EXTRAS names (default "test"; empty for nnext and NumPy alone).
# Each build variant gets its own environment (and, with NNEXT_EXTRAS=test-core,
# the test extras without Dask, whose tests then skip):
#   NNEXT_DEBUG_CYTHON=1   Cython's bounds checks on       (.venv-debug)
#   NNEXT_SANITIZE=1       AddressSanitizer + UBSan        (.venv-sanitize)
#   NNEXT_OPENMP=0         no OpenMP: a single-threaded core (.venv-serial)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=.venv
[ "${NNEXT_DEBUG_CYTHON:-0}" != "0" ] && venv=.venv-debug
[ "${NNEXT_SANITIZE:-0}" != "0" ] && venv=.venv-sanitize
[ "${NNEXT_OPENMP:-1}" = "0" ] && venv=.venv-serial
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
extras=${NNEXT_EXTRAS-test}
"$venv/bin/python" -m pip install --quiet ".${extras:+[$extras]}"
export PATH="$PWD/$venv/bin:$PATH"
