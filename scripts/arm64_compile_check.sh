#!/usr/bin/env bash
# Compile the core for Linux ARM64 with GCC's cross compiler (Debian's
# gcc-aarch64-linux-gnu), as a check that it builds there: the kernels as an
# object file, and the whole Cython-generated core for syntax and types
# (against this machine's Python and NumPy headers, which are the same on
# both 64-bit Linux targets). Running the suite on ARM64 needs an emulated
# machine; this catches what stops the build.
source "$(dirname "$0")/venv.sh"
if ! command -v aarch64-linux-gnu-gcc > /dev/null; then
    apt-get update -qq && apt-get install -y -qq gcc-aarch64-linux-gnu > /dev/null
fi
python -m pip install --quiet "Cython>=3"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#include "_kernels.h"\nint main(void) { return nn_select_kernels(2); }\n' > "$work/kernels.c"
flags=(-O2 -std=gnu11 -fopenmp -Wno-psabi -ffp-contract=off -Innext)
aarch64-linux-gnu-gcc "${flags[@]}" -c "$work/kernels.c" -o "$work/kernels.o"
cython -3 --fast-fail nnext/_core.pyx -o "$work/_core.c"
aarch64-linux-gnu-gcc "${flags[@]}" -w -fsyntax-only -DNNEXT_DEBUG=0 \
    -I"$(python -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" \
    -I"$(python -c 'import numpy; print(numpy.get_include())')" "$work/_core.c"
echo "arm64: the core compiles for aarch64-linux-gnu"
