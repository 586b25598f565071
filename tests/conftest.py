import pytest

import nnext
from nnext import _core


def pytest_report_header(config):
    build = "bounds-checked debug build" if _core.debug_build else "release build"
    return f"nnext {nnext.__version__} from {nnext.__file__} ({build})"


@pytest.fixture
def probe():
    """Look for Ctrl-C at every opportunity in the core, calling a probe each time."""
    def install(function):
        _core._set_interrupt_probe(function, 1)
    yield install
    _core._set_interrupt_probe(None)


@pytest.fixture(params=["baseline", "avx2"])
def each_kernel_variant(request):
    """Run a test with the portable kernels and with the AVX2 + FMA ones."""
    wanted = request.param == "avx2"
    if _core.use_avx2(wanted) != wanted:
        _core.use_avx2(True)
        pytest.skip("this CPU has no AVX2 + FMA")
    yield request.param
    _core.use_avx2(True)
