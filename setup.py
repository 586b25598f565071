"""Build description of nnext's compiled core.

Environment switches:

NNEXT_DEBUG_CYTHON=1
    Compile with Cython's bounds and initialisation checks on, so that an
    out-of-range access raises instead of corrupting memory (for the tests).
NNEXT_OPENMP=0
    Build without OpenMP (the core then runs on one thread).  By default
    OpenMP is used when the compiler accepts -fopenmp.
NNEXT_SANITIZE=1
    Compile and link with AddressSanitizer and UndefinedBehaviorSanitizer (any
    error aborts).  Load the sanitizer runtime first to use it:
    ``LD_PRELOAD=$(gcc -print-file-name=libasan.so) PYTHONMALLOC=malloc``.

The kernels use GCC/Clang vector extensions: MSVC cannot build them.
"""
import os
import tempfile

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def switch(name, default):
    return os.environ.get(name, default) not in ("", "0")


DEBUG = switch("NNEXT_DEBUG_CYTHON", "0")
OPENMP = switch("NNEXT_OPENMP", "1")
SANITIZE = switch("NNEXT_SANITIZE", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
}

# No -ffast-math (it would delete the NaN/inf checks the core relies on) and no
# -march=native (_kernels.h adds an AVX2 variant chosen at run time).  The
# kernels fuse their multiply-adds explicitly; -ffp-contract=off stops the
# compiler fusing others, which it would do differently at each -O level.
# -fno-math-errno lets sqrt be vectorised (nothing reads errno).
compile_args = ["-O1", "-g"] if DEBUG or SANITIZE else ["-O3"]
compile_args += ["-ffp-contract=off", "-fno-math-errno", "-Wno-psabi"]
link_args = []
if SANITIZE:
    sanitizers = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                  "-fno-omit-frame-pointer"]
    compile_args += sanitizers
    link_args += sanitizers


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
        if self.compiler.compiler_type == "msvc":
            raise SystemExit("nnext's kernels need GCC or Clang (they use vector "
                             "extensions); MSVC cannot build them")
        if OPENMP and openmp_works(self.compiler):
            for extension in self.extensions:
                extension.extra_compile_args.append("-fopenmp")
                extension.extra_link_args.append("-fopenmp")
        else:
            print("nnext: building without OpenMP; the core will use one thread")
        # Always compile: an object left by a build with other switches must not be reused.
        self.force = True
        super().build_extensions()


core = Extension(
    "nnext._core",
    sources=["nnext/_core.pyx"],
    depends=["nnext/_kernels.h", "nnext/_kernels_variants.h", "nnext/_kernels_impl.h"],
    include_dirs=["nnext"],
    define_macros=[("NNEXT_DEBUG", int(DEBUG))],
    extra_compile_args=compile_args,
    extra_link_args=link_args,
)

# Each variant gets its own generated C file, so switching never reuses the other's.
setup(
    ext_modules=cythonize([core], compiler_directives=directives,
                          build_dir="build/debug" if DEBUG else "build/release"),
    cmdclass={"build_ext": BuildWithOptionalOpenMP},
)
