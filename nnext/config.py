"""What this installation of nnext is and runs on, for bug reports.

``nnext.show_config()`` and ``python -m nnext`` print it; `config` gives it
as a dict.
"""
import importlib.metadata
import os
import platform
import sys

import numpy as np

from . import _checks, engine
from ._version import __version__

#: The optional packages whose versions are worth reporting (the extras).
OPTIONAL = ("scikit-learn", "scipy", "matplotlib", "dask", "distributed", "torch", "onnx",
            "onnxruntime")


def _cpu():
    """The CPU's model name, as the operating system gives it."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith(("model name", "Model", "CPU part")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas():
    """The BLAS library NumPy was built with, if NumPy says."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older NumPy has no mode="dicts"
        return "unknown"


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def config():
    """The facts that `show_config` prints, as a dict.

    Returns
    -------
    dict
        ``nnext``, ``location``, ``python``, ``platform``, ``cpu``, ``cores``,
        ``kernels`` (the variant in use), ``available kernels``, ``openmp``,
        ``default threads`` (the most the default takes), ``cores busy with
        other work`` (which the default leaves to them; see
        `nnext._checks.busy_cores`), ``OMP_NUM_THREADS``, ``debug build``,
        ``numpy``, ``blas``, and the version of each optional package installed.
    """
    facts = {
        "nnext": __version__,
        "location": os.path.dirname(os.path.abspath(__file__)),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu(),
        "cores": _checks.available_cores(),
        "kernels": engine.kernels(),
        "available kernels": ", ".join(engine.AVAILABLE_KERNELS),
        "openmp": engine.openmp,
        "default threads": _checks.num_threads(None).most,
        "cores busy with other work": _checks.busy_cores(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "(not set)"),
        "debug build": engine.debug_build,
        "numpy": np.__version__,
        "blas": _blas(),
    }
    for package in OPTIONAL:
        version = _version(package)
        if version is not None:
            facts[package] = version
    return facts


def show_config(file=None):
    """Print what this installation of nnext is and runs on: its version, the
    kernel variant in use, OpenMP and the thread count, NumPy and its BLAS,
    the CPU, and the optional packages installed.  Paste it into a bug report.

    Parameters
    ----------
    file : file object, optional
        Where to print (standard output by default).

    Examples
    --------
    >>> import nnext
    >>> nnext.show_config()          # doctest: +SKIP
    nnext              0.3.0
    kernels            avx512
    ...
    """
    facts = config()
    width = max(map(len, facts)) + 2
    for name, value in facts.items():
        print(f"{name:<{width}}{value}", file=file or sys.stdout)
