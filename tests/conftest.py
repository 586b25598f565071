import os

import pytest

import nnext
from nnext import engine

#: The MNIST files of the source tree (the checkout and the sdist have them).
MNIST = os.path.join(os.path.dirname(__file__), os.pardir, "datasets", "mnist")
needs_mnist = pytest.mark.skipif(
    not os.path.exists(os.path.join(MNIST, "train-images-idx3-ubyte.gz")),
    reason="the MNIST files are not in this tree")


def pytest_report_header(config):
    build = "bounds-checked debug build" if engine.debug_build else "release build"
    return (f"nnext {nnext.__version__} from {nnext.__file__} ({build}, {engine.kernels()} "
            f"kernels)")


@pytest.fixture
def probe():
    """Look for Ctrl-C at every opportunity in the core, calling a probe each time."""
    def install(function):
        engine.set_interrupt_probe(function, 1)
    yield install
    engine.set_interrupt_probe(None)


# The variant chosen at import (the widest, unless NNEXT_KERNELS says otherwise).
INITIAL_KERNELS = engine.kernels()


@pytest.fixture(params=engine.KERNELS)
def each_kernel_variant(request):
    """Run a test with each kernel variant: baseline, AVX2 + FMA, AVX-512."""
    if request.param not in engine.AVAILABLE_KERNELS:
        pytest.skip(f"this CPU cannot run the {request.param} kernels")
    engine.use_kernels(request.param)
    yield request.param
    engine.use_kernels(INITIAL_KERNELS)
