"""What loading a file costs a fresh process: seconds and peak memory (Linux).

The peak is read from ``VmHWM`` in ``/proc/self/status`` after resetting it
through ``/proc/self/clear_refs``: unlike ``ru_maxrss``, it does not carry
over the peak of the process that started this one.
"""
import os
import subprocess
import sys
import textwrap

_CHILD = """
    import sys, time
    sys.path.insert(0, sys.argv[2])
    import nnext
    from peak_memory import peak_memory, reset_peak_memory
    before = reset_peak_memory()
    started = time.perf_counter()
    try:
        nnext.load(sys.argv[1])
        outcome = "loaded"
    except ValueError as error:
        outcome = "ValueError: " + str(error)
    print(time.perf_counter() - started, peak_memory() - before, outcome)
"""


def _status(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak_memory():
    """Reset the peak to the present resident memory, and return that (bytes)."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return _status("VmRSS")


def peak_memory():
    """The peak resident memory (bytes) since the last reset."""
    return _status("VmHWM")


def load_in_fresh_process(path):
    """(seconds, peak memory added in bytes, outcome) of ``nnext.load(path)`` in a
    new interpreter started outside the source tree."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD), os.fspath(path),
         os.path.dirname(os.path.abspath(__file__))],
        capture_output=True, text=True, cwd=os.path.dirname(os.path.abspath(path)))
    if result.returncode:
        raise RuntimeError(result.stderr)
    seconds, added, outcome = result.stdout.split(" ", 2)
    return float(seconds), int(added), outcome.strip()
