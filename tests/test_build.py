"""The build under test is the one asked for (.ci/run runs the suite against
several builds, chosen by the environment switches of setup.py)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnext import engine


def requested(name, default):
    return os.environ.get(name, default) not in ("", "0")


def test_debug_build_matches_the_request():
    assert engine.debug_build == requested("NNEXT_DEBUG_CYTHON", "0")


def test_openmp_matches_the_request():
    # The compilers this project builds with accept -fopenmp, so OpenMP is
    # missing exactly when NNEXT_OPENMP=0 asked for a serial core.
    assert engine.openmp == requested("NNEXT_OPENMP", "1")


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads Linux's memory map")
def test_sanitizers_are_loaded_exactly_when_asked_for():
    with open("/proc/self/maps") as f:
        maps = f.read()
    assert ("libasan" in maps and "libubsan" in maps) == requested("NNEXT_SANITIZE", "0")


@pytest.mark.skipif(not os.path.exists("/proc/cpuinfo"), reason="reads Linux's CPU flags")
def test_the_widest_kernels_this_cpu_runs_are_chosen():
    with open("/proc/cpuinfo") as f:
        flags = set(next(line for line in f if line.startswith("flags")).split())
    if {"avx512f", "avx512dq", "avx512vl", "fma"} <= flags:
        widest = "avx512"
    elif {"avx2", "fma"} <= flags:
        widest = "avx2"
    else:
        widest = "baseline"
    assert engine.AVAILABLE_KERNELS == engine.KERNELS[:engine.KERNELS.index(widest) + 1]
    assert engine.kernels() == os.environ.get("NNEXT_KERNELS", widest)


def test_kernels_can_be_chosen_by_name():
    initial = engine.kernels()
    try:
        for name in engine.AVAILABLE_KERNELS:
            assert engine.use_kernels(name) == name == engine.kernels()
        with pytest.raises(ValueError, match="kernels must be one of baseline, avx2, avx512; "
                                             "got 'sse'"):
            engine.use_kernels("sse")
    finally:
        engine.use_kernels(initial)


@pytest.mark.parametrize("value", ["baseline", "avx2", "bogus"])
def test_the_environment_names_the_kernels(value, tmp_path):
    script = "from nnext import engine; print(engine.kernels())"
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               env={**os.environ, "NNEXT_KERNELS": value}, cwd=tmp_path,
                               timeout=60)
    if value == "bogus":
        assert "NNEXT_KERNELS must be one of baseline, avx2, avx512; got 'bogus'" in completed.stderr
    else:
        assert completed.stdout.strip() == min(value, engine.AVAILABLE_KERNELS[-1],
                                               key=engine.KERNELS.index)


def test_one_version_everywhere():
    from importlib.metadata import metadata, version

    import nnext
    assert nnext.__version__ == version("nnext")
    assert metadata("nnext")["License-Expression"] == "BSD-3-Clause"


def test_the_core_declares_exactly_the_kernels_that_the_header_lists():
    # _kernels.h lists its kernels once (NN_KERNELS), for the dispatch by
    # instruction set; the core declares each, in both types, to call it.
    sources = Path(engine.__file__).parent
    header = (sources / "_kernels.h").read_text()
    listed = re.search(r"#define NN_KERNELS\(X\)(.*?)\n\n", header, re.S).group(1)
    kernels = set(re.findall(r"X\((\w+)\)", listed))
    core = (sources / "_core.pyx").read_text()
    extern = re.search(r'cdef extern from "_kernels.h" nogil:(.*?)\n\n', core, re.S).group(1)
    declared = set(re.findall(r"\bnn_(\w+)_[ds]\(", extern))
    assert kernels and declared == kernels
    for kernel in kernels:
        for suffix in ("_d(", "_s("):
            assert f"nn_{kernel}{suffix}" in extern, kernel
