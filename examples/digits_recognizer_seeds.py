#!/usr/bin/env python3
"""
The original recipe over fixed seeds
====================================

Train and test the digits recogniser once per seed, with the original's
settings, and report each run and the median and range over all of them.

The seeds are fixed in advance (0 to 9 by default): the figures describe what
a run of the recipe gives, not the best of several runs.
"""
import argparse
import statistics

import nnext
from digits_recognizer_test import predictions
from digits_recognizer_train import digit_arrays, train_recogniser


def seed_list(text):
    """'0-9' or '0,3,5' as a list of ints."""
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(seed) for seed in text.split(",")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None,
                        help="folder of the MNIST .gz files (default: the copy that comes "
                             "with nnext)")
    parser.add_argument("--seeds", type=seed_list, default=list(range(10)),
                        help="seeds to run, as 0-9 or 0,3,5 (default 0-9)")
    parser.add_argument("--max-rounds", type=int, default=None,
                        help="stop each run after this many rounds at the latest (for a quick run)")
    args = parser.parse_args(argv)

    X, Y = digit_arrays(*nnext.load_mnist(args.data, "train"))
    images, labels = nnext.load_mnist(args.data, "test")
    print("| seed | rounds | training time | test success rate |")
    print("| ---: | ---: | ---: | ---: |")
    runs = []
    for seed in args.seeds:
        network, result = train_recogniser(X, Y, seed, args.max_rounds)
        rate = float((predictions(network, images) == labels).mean())
        runs.append((result.rounds, result.training_time, rate))
        print(f"| {seed} | {result.rounds} | {result.training_time:.1f} s | {100 * rate:.2f}% |",
              flush=True)
    rounds, times, rates = zip(*runs)
    print(f"\nOver {len(runs)} seeds: test success rate median {100 * statistics.median(rates):.2f}% "
          f"(range {100 * min(rates):.2f}% to {100 * max(rates):.2f}%); "
          f"{min(rounds)} to {max(rounds)} rounds; training time median "
          f"{statistics.median(times):.1f} s ({min(times):.1f} to {max(times):.1f} s)")
    return runs


if __name__ == "__main__":
    main()
