"""Build description of nnext's compiled core.

Environment switches:

NNEXT_DEBUG_CYTHON=1
    Compile with Cython's bounds and initialisation checks on, so that an
    out-of-range access raises instead of corrupting memory (for the tests).
"""
import os
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("NNEXT_DEBUG_CYTHON", "0") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
}

if sys.platform == "win32":
    compile_args = ["/O2"]
else:
    # No -ffast-math: it would delete the NaN/inf checks the core relies on.
    compile_args = ["-O3"]
if DEBUG and sys.platform != "win32":
    compile_args = ["-O1", "-g"]

core = Extension(
    "nnext._core",
    sources=["nnext/_core.pyx"],
    define_macros=[("NNEXT_DEBUG", int(DEBUG))],
    extra_compile_args=compile_args,
)

# Each variant gets its own generated C file, so switching never reuses the other's.
setup(ext_modules=cythonize([core], compiler_directives=directives,
                            build_dir="build/debug" if DEBUG else "build/release"))
