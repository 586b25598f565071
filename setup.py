"""Build description of nnext's compiled core.

Environment switches:

NNEXT_DEBUG_CYTHON=1
    Compile with Cython's bounds and initialisation checks on, so that an
    out-of-range access raises instead of corrupting memory (for the tests).
NNEXT_OPENMP=0
    Build without OpenMP (the core then runs on one thread).  By default
    OpenMP is used when the compiler accepts -fopenmp.
"""
import os
import sys
import tempfile

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def switch(name, default):
    return os.environ.get(name, default) not in ("", "0")


DEBUG = switch("NNEXT_DEBUG_CYTHON", "0")
OPENMP = switch("NNEXT_OPENMP", "1")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
}

if sys.platform == "win32":
    compile_args = ["/O2"]
elif DEBUG:
    compile_args = ["-O1", "-g"]
else:
    # No -ffast-math (it would delete the NaN/inf checks the core relies on) and
    # no -march=native: _kernels.h adds an AVX2 variant chosen at run time.
    compile_args = ["-O3", "-Wno-psabi"]


def openmp_works(compiler):
    """Whether the compiler builds and links a small OpenMP program."""
    from distutils.errors import CompileError, LinkError

    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "probe.c")
        with open(source, "w") as f:
            f.write("#include <omp.h>\nint main(void) { return omp_get_max_threads() < 1; }\n")
        try:
            objects = compiler.compile([source], output_dir=tmp, extra_postargs=["-fopenmp"])
            compiler.link_executable(objects, os.path.join(tmp, "probe"),
                                     extra_postargs=["-fopenmp"])
        except (CompileError, LinkError):
            return False
    return True


class BuildWithOptionalOpenMP(build_ext):
    def build_extensions(self):
        if OPENMP and sys.platform != "win32" and openmp_works(self.compiler):
            for extension in self.extensions:
                extension.extra_compile_args.append("-fopenmp")
                extension.extra_link_args.append("-fopenmp")
        else:
            print("nnext: building without OpenMP; the core will use one thread")
        super().build_extensions()


core = Extension(
    "nnext._core",
    sources=["nnext/_core.pyx"],
    depends=["nnext/_kernels.h", "nnext/_kernels_impl.h"],
    include_dirs=["nnext"],
    define_macros=[("NNEXT_DEBUG", int(DEBUG))],
    extra_compile_args=compile_args,
)

# Each variant gets its own generated C file, so switching never reuses the other's.
setup(
    ext_modules=cythonize([core], compiler_directives=directives,
                          build_dir="build/debug" if DEBUG else "build/release"),
    cmdclass={"build_ext": BuildWithOptionalOpenMP},
)
