"""The build under test is the one asked for."""
import os

import pytest

from nnext import _core


def test_debug_build_matches_the_request():
    # .ci/run runs the suite a second time with NNEXT_DEBUG_CYTHON=1: that run
    # must exercise the bounds-checked build, and the first one must not.
    requested = os.environ.get("NNEXT_DEBUG_CYTHON", "0") not in ("", "0")
    assert _core.debug_build == requested


@pytest.mark.skipif(not os.path.exists("/proc/cpuinfo"), reason="reads Linux's CPU flags")
def test_avx2_kernels_are_chosen_exactly_when_the_cpu_has_avx2_and_fma():
    with open("/proc/cpuinfo") as f:
        flags = next(line for line in f if line.startswith("flags")).split()
    assert _core.avx2 == ("avx2" in flags and "fma" in flags)
