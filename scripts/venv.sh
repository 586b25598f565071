# Sourced by the other scripts: make (or reuse) a virtual environment and
# build and install nnext into it from this checkout, with the extras that
# NNEXT_EXTRAS names (default "test"; empty for nnext and NumPy alone).
# Each build variant gets its own environment (and, with NNEXT_EXTRAS=test-core,
# the test extras without Dask, whose tests then skip):
#   NNEXT_DEBUG_CYTHON=1   Cython's bounds checks on       (.venv-debug)
#   NNEXT_SANITIZE=1       AddressSanitizer + UBSan        (.venv-sanitize)
#   NNEXT_OPENMP=0         no OpenMP: a single-threaded core (.venv-serial)
# The wheel is built once per state of the sources and variant, and kept in
# the environment, so that the scripts that follow (the documentation, the
# ARM64 check) and other extras install it without compiling again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=.venv
[ "${NNEXT_DEBUG_CYTHON:-0}" != "0" ] && venv=.venv-debug
[ "${NNEXT_SANITIZE:-0}" != "0" ] && venv=.venv-sanitize
[ "${NNEXT_OPENMP:-1}" = "0" ] && venv=.venv-serial
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
build_key=$(
    find nnext setup.py pyproject.toml MANIFEST.in -type f \
        ! -path '*/__pycache__/*' ! -name '*.so' ! -name '*.c' ! -name '*.html' \
        -print0 2>/dev/null | sort -z | xargs -0 sha256sum
    echo "${NNEXT_DEBUG_CYTHON:-0} ${NNEXT_SANITIZE:-0} ${NNEXT_OPENMP:-1}"
)
wheels="$venv/nnext-wheels/$(sha256sum <<< "$build_key" | cut -c1-16)"
if ! compgen -G "$wheels/nnext-*.whl" > /dev/null; then
    rm -rf "$venv/nnext-wheels"
    "$venv/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$wheels" .
fi
wheel=$(compgen -G "$wheels/nnext-*.whl")
extras=${NNEXT_EXTRAS-test}
"$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$wheel"
"$venv/bin/python" -m pip install --quiet "nnext${extras:+[$extras]} @ file://$PWD/$wheel"
export PATH="$PWD/$venv/bin:$PATH"
