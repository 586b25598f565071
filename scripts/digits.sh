#!/usr/bin/env bash
# The main job: build nnext, train the MNIST digits recogniser on the bundled
# data with the original program's settings, then test it on the 10,000 test digits.
# It needs nnext and NumPy alone, not the test extras.
NNEXT_EXTRAS="" source "$(dirname "$0")/venv.sh"
python examples/digits_recognizer_train.py "$@"
python examples/digits_recognizer_test.py
