"""Time a complete fast training run against epochs of the paper's settings, in one process.

``bench_epoch.py`` times the first two epochs, where every persistent particle still
starts far from its fixed point. This script measures what a user waits for: it
times one epoch of ``paper_hyperparameters(arch)`` on a slice of MNIST (its epochs all
cost the same, every sample runs every step), then a complete ``fit`` of
``fast_hyperparameters(arch)`` on the 50,000 training images, then the paper's epoch
again, and prints every fast epoch's time as a fraction of the paper's epoch (the
median of the two measurements), with the fast model's validation and test error.
Run it alone: the machine is noisy and two benchmarks at once ruin both.

    python benchmarks/bench_training_run.py                       # 784-500-500-500-10
    python benchmarks/bench_training_run.py --arch 784-500-500-10 --paper-samples 2000
"""

import argparse
import time
import warnings

import numpy as np
from _common import load_data
from bench_epoch import TimedEqProp
from sklearn.exceptions import ConvergenceWarning

from sk_eqprop import PAPER_ARCHITECTURES, fast_hyperparameters, paper_hyperparameters


def paper_epoch_seconds(arch, X, y):
    """Seconds per 50,000-image epoch of the paper's settings, timed on ``X``."""
    model = TimedEqProp(**{**paper_hyperparameters(arch), "max_iter": 1}, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model.epoch_seconds()[0] * 50_000 / X.shape[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=PAPER_ARCHITECTURES, default="784-500-500-500-10")
    parser.add_argument("--paper-samples", type=int, default=1000,
                        help="the paper's epoch is timed on this many images")
    parser.add_argument("--random-state", type=int, default=0,
                        help="random_state of the fast run")
    parser.add_argument("--data", help="path of mnist.pkl.gz (default: ../shared/data)")
    args = parser.parse_args(argv)

    mnist = load_data(args.data)
    X, y = mnist.X_train, mnist.y_train
    X_paper, y_paper = X[: args.paper_samples], y[: args.paper_samples]

    before = paper_epoch_seconds(args.arch, X_paper, y_paper)
    print(f"paper settings, before: {before:.1f} s per epoch", flush=True)
    fast = TimedEqProp(**fast_hyperparameters(args.arch), random_state=args.random_state)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fast.fit(X, y)
    fit_seconds = time.perf_counter() - start
    after = paper_epoch_seconds(args.arch, X_paper, y_paper)
    print(f"paper settings, after: {after:.1f} s per epoch", flush=True)

    paper = np.median([before, after])
    epochs = fast.epoch_seconds()
    print(f"\n{args.arch}: fast preset trained on {X.shape[0]} images in {fit_seconds:.0f} s; "
          f"paper's epoch {paper:.1f} s (timed on {args.paper_samples} images)")
    print(f"{'epoch':>5} {'seconds':>8} {'/ paper':>8}")
    for k, seconds in enumerate(epochs, start=1):
        print(f"{k:>5} {seconds:>8.1f} {seconds / paper:>8.3f}")
    print(f"{'mean':>5} {epochs.mean():>8.1f} {epochs.mean() / paper:>8.3f}")
    val = 1 - fast.score(mnist.X_val, mnist.y_val)
    test = 1 - fast.score(mnist.X_test, mnist.y_test)
    print(f"fast preset (random_state={args.random_state}): validation error {100 * val:.2f}%, "
          f"test error {100 * test:.2f}%")


if __name__ == "__main__":
    main()
