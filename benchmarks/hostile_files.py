"""Time and peak memory of `nnext.load` on hostile and large files.

Each file is loaded in a fresh process, which reports the seconds the load
took and the peak resident memory it added (``tests/peak_memory.py``); the
table gives both beside the file's size.

    python benchmarks/hostile_files.py [--directory DIR]
"""
import argparse
import io
import os
import sys
import tempfile
import zipfile

import numpy as np

import nnext

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests"))
from peak_memory import load_in_fresh_process  # noqa: E402


def deflate_bomb(path, n_values):
    members = {"format": np.array("nnext network"), "version": np.array(1, np.int64),
               "shape": np.array([n_values - 1, 1]), "activations": np.array(["sigmoid"]),
               "params": np.zeros(n_values)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in members.items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(name + ".npy", buffer.getvalue())


def make_files(directory):
    """(description, path) of each file to load."""
    def path(name):
        return os.path.join(directory, name)

    with open(path("backtracking.txt"), "w") as file:
        file.write("2\n100\n100\n[" + "1" * 1_000_000 + "x]\n")
    with open(path("claims.txt"), "w") as file:
        file.write("2\n40000\n40000\n[" + "0, " * (50_000_000 // 3) + "0]\n")
    n = 8_000_000
    with open(path("dense.txt"), "w") as file:
        file.write(f"2\n1\n{n}\n[" + "0," * (n - 1) + "0]\n[" + "0," * (n - 1) + "0]\n")
    network = nnext.NeuralNetwork([1500, 1500, 10], seed=0)
    nnext.save(network, path("valid.txt"))
    nnext.save(network, path("valid.npz"))
    deflate_bomb(path("bomb.npz"), 30_000_000)
    return [("1 MB list of digits ending in 'x'", path("backtracking.txt")),
            ("50 MB of zeros claiming [40000, 40000]", path("claims.txt")),
            ("valid [1, 8000000]: 16M values written '0,'", path("dense.txt")),
            ("valid [1500, 1500, 10], text", path("valid.txt")),
            ("valid [1500, 1500, 10], npz", path("valid.npz")),
            ("deflate bomb: 240 MB of zeros in params.npy", path("bomb.npz"))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", help="where to write the files (default: a temporary "
                                            "directory, removed afterwards)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        directory = args.directory or temporary
        print("| file | size | outcome | time | peak memory added | memory / size |")
        print("|---|---|---|---|---|---|")
        for description, path in make_files(directory):
            size = os.path.getsize(path)
            seconds, added, outcome = load_in_fresh_process(path)
            outcome = outcome.split(':')[0]
            print(f"| {description} | {size / 1e6:.2f} MB | {outcome} | {seconds:.3f} s | "
                  f"{added / 2**20:.0f} MiB | {added / size:.1f} |")


if __name__ == "__main__":
    main()
