import nnext
from nnext import _core


def pytest_report_header(config):
    build = "bounds-checked debug build" if _core.debug_build else "release build"
    return f"nnext {nnext.__version__} from {nnext.__file__} ({build})"
