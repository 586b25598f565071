"""Feed `nnext.load` thousands of mutated and hostile files of one format.

Run as ``python fuzz_loaders.py FORMAT CASES SEED DIRECTORY`` (FORMAT is
``txt`` or ``npz``); prints one JSON line: how many files loaded (by the
valid file they were mutated from; for text, the second has a digest line),
the exceptions other than ValueError, the slowest case and its time, the
largest file, and the process's peak memory before and after loading.
A separate process, so that its peak memory is the loader's alone.
"""
import io
import json
import os
import sys
import time
import zipfile

import numpy as np

import nnext
from peak_memory import peak_memory, reset_peak_memory


def text_seeds(directory):
    """A file in the original's format, and one as `nnext.save` writes it (with
    the digest line)."""
    buffer = io.StringIO()
    nnext.serialize_neural_network(nnext.NeuralNetwork([3, 4, 2], seed=0), buffer)
    path = os.path.join(directory, "seed.txt")
    nnext.save(nnext.NeuralNetwork([5, 3, 3, 2], seed=1), path)
    with open(path, "rb") as file:
        return [buffer.getvalue().encode(), file.read()]


def npz_seeds():
    networks = [nnext.NeuralNetwork([3, 4, 2], activations=["relu", "softmax"], seed=0),
                nnext.NeuralNetwork([5, 3, 2], seed=1, dtype=np.float32)]
    files = []
    for network in networks:
        buffer = io.BytesIO()
        nnext.npzformat.write(buffer, network.shape, network.activations,
                              np.concatenate([np.concatenate([w.ravel(), b]) for w, b in
                                              zip(network.weights, network.biases)]))
        files.append(buffer.getvalue())
    return files


def mutate_bytes(blob, rng):
    blob = bytearray(blob)
    for _ in range(rng.integers(1, 6)):
        position = int(rng.integers(0, len(blob) + 1))
        action = rng.integers(0, 5)
        if action == 0:
            blob.insert(position, int(rng.choice(list(b"0123456789[],.-+eE \n\rx\x00\xff"))))
        elif action == 1 and position < len(blob):
            del blob[position]
        elif action == 2 and position < len(blob):
            blob[position] = int(rng.integers(0, 256))
        elif action == 3:
            del blob[position:]
        else:
            blob[position:position] = blob[position:position + int(rng.integers(1, 200))] * int(
                rng.integers(1, 50))
    return bytes(blob)


def hostile_text(rng):
    """Files whose claims exceed their contents, or lines built to slow a parser."""
    n = int(rng.integers(1, 20_000))
    kind = rng.integers(0, 5)
    if kind == 0:
        sizes = [10 ** int(rng.integers(3, 7)) for _ in range(2)]
        return f"2\n{sizes[0]}\n{sizes[1]}\n[0]\n".encode()
    if kind == 1:
        return b"2\n100\n100\n[" + b"1" * n + b"x]\n"
    if kind == 2:
        return b"2\n1\n" + str(n).encode() + b"\n[" + b"0," * n + b"]\n"
    if kind == 3:
        return b"2\n1\n1\n[" + b"1e" * n + b"]\n[0]\n"
    return b"2\n1\n1\n[0]\n[0]\nsha256 " + b"0" * n + b"\n"


def deflated(blob, rng):
    """The archive's members re-written, each stored or deflated at random."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            method = zipfile.ZIP_DEFLATED if rng.integers(0, 2) else zipfile.ZIP_STORED
            target.writestr(info.filename, source.read(info), compress_type=method)
    return out.getvalue()


def hostile_npz(rng):
    """Archives whose headers or compression claim more than they hold."""
    members = {"format": np.array("nnext network"), "version": np.array(1, np.int64),
               "shape": np.array([int(rng.integers(100, 500)), int(rng.integers(100, 500))]),
               "activations": np.array(["sigmoid"])}
    count = int(members["shape"][0] + 1) * int(members["shape"][1])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in members.items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(name + ".npy", buffer.getvalue())
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(count))
        header_end = buffer.getvalue().index(b"\n") + 1
        body = buffer.getvalue() if rng.integers(0, 2) else buffer.getvalue()[:header_end]
        archive.writestr("params.npy", body)
    return out.getvalue()


def cases(kind, n_cases, rng, directory):
    """(blob, seed index or None for a hostile file) for each case."""
    seeds = text_seeds(directory) if kind == "txt" else npz_seeds()
    for case in range(n_cases):
        if case % 10 == 0:
            yield (hostile_text(rng) if kind == "txt" else hostile_npz(rng)), None
            continue
        blob = seeds[case % len(seeds)]
        if kind == "npz" and case % 3 == 0:
            blob = deflated(blob, rng)
        yield mutate_bytes(blob, rng), case % len(seeds)


def main(kind, n_cases, seed, directory):
    rng = np.random.default_rng(seed)
    path = os.path.join(directory, "case." + kind)
    all_cases = list(cases(kind, n_cases, rng, directory))
    before = reset_peak_memory()
    loaded = [0, 0, 0]
    escaped, slowest, slowest_time = [], None, 0.0
    for number, (blob, origin) in enumerate(all_cases):
        with open(path, "wb") as file:
            file.write(blob)
        started = time.perf_counter()
        try:
            nnext.load(path)
            loaded[2 if origin is None else origin] += 1
        except ValueError:
            pass
        except Exception as error:  # noqa: BLE001 - what the fuzz test looks for
            escaped.append(f"case {number}: {type(error).__name__}: {error}"[:300])
        elapsed = time.perf_counter() - started
        if elapsed > slowest_time:
            slowest, slowest_time = number, elapsed
    print(json.dumps({"cases": len(all_cases), "loaded_by_seed": loaded[:2],
                      "loaded_hostile": loaded[2], "escaped": escaped,
                      "slowest_case": slowest, "slowest_seconds": slowest_time,
                      "largest_file": max(len(blob) for blob, _ in all_cases),
                      "peak_before": before, "peak_after": peak_memory()}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
