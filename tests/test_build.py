"""The build under test is the one asked for (.ci/run runs the suite against
several builds, chosen by the environment switches of setup.py)."""
import os

import pytest

from nnext import _core


def requested(name, default):
    return os.environ.get(name, default) not in ("", "0")


def test_debug_build_matches_the_request():
    assert _core.debug_build == requested("NNEXT_DEBUG_CYTHON", "0")


def test_openmp_matches_the_request():
    # The compilers this project builds with accept -fopenmp, so OpenMP is
    # missing exactly when NNEXT_OPENMP=0 asked for a serial core.
    assert _core.openmp == requested("NNEXT_OPENMP", "1")


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads Linux's memory map")
def test_sanitizers_are_loaded_exactly_when_asked_for():
    with open("/proc/self/maps") as f:
        maps = f.read()
    assert ("libasan" in maps and "libubsan" in maps) == requested("NNEXT_SANITIZE", "0")


@pytest.mark.skipif(not os.path.exists("/proc/cpuinfo"), reason="reads Linux's CPU flags")
def test_avx2_kernels_are_chosen_exactly_when_the_cpu_has_avx2_and_fma():
    with open("/proc/cpuinfo") as f:
        flags = next(line for line in f if line.startswith("flags")).split()
    assert _core.avx2 == ("avx2" in flags and "fma" in flags)
