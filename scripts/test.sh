#!/usr/bin/env bash
# Build and install nnext, then run the test suite against the installed package.
source "$(dirname "$0")/venv.sh"
pytest "$@"
