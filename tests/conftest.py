import os

import pytest

import nnext
from nnext import _core

#: The bundled MNIST files (a checkout has them; the sdist leaves them out).
MNIST = os.path.join(os.path.dirname(__file__), os.pardir, "datasets", "mnist")
needs_mnist = pytest.mark.skipif(
    not os.path.exists(os.path.join(MNIST, "train-images-idx3-ubyte.gz")),
    reason="the MNIST files are not in this tree (the sdist leaves them out)")


def pytest_report_header(config):
    build = "bounds-checked debug build" if _core.debug_build else "release build"
    return (f"nnext {nnext.__version__} from {nnext.__file__} ({build}, {_core.kernels} "
            f"kernels)")


@pytest.fixture
def probe():
    """Look for Ctrl-C at every opportunity in the core, calling a probe each time."""
    def install(function):
        _core._set_interrupt_probe(function, 1)
    yield install
    _core._set_interrupt_probe(None)


# The variant chosen at import (the widest, unless NNEXT_KERNELS says otherwise).
INITIAL_KERNELS = _core.kernels


@pytest.fixture(params=_core.KERNELS)
def each_kernel_variant(request):
    """Run a test with each kernel variant: baseline, AVX2 + FMA, AVX-512."""
    if request.param not in _core.AVAILABLE_KERNELS:
        pytest.skip(f"this CPU cannot run the {request.param} kernels")
    _core.use_kernels(request.param)
    yield request.param
    _core.use_kernels(INITIAL_KERNELS)
