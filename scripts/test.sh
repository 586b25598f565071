#!/usr/bin/env bash
# Build and install nnext, then run the test suite against the installed package.
# Arguments go to pytest.  With NNEXT_SANITIZE=1 the interpreter runs with the
# AddressSanitizer runtime loaded first and Python's allocator switched to malloc.
source "$(dirname "$0")/venv.sh"
if [ "${NNEXT_SANITIZE:-0}" != "0" ]; then
    export LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
    export PYTHONMALLOC=malloc ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
pytest "$@"
