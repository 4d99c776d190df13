"""Time training epochs of each preset and of MLPClassifier, in one process.

Every contender trains two epochs on the same slice of MNIST, fresh each round; the
rounds alternate the contenders, and the medians are reported as seconds per 50,000
images and as ratios, for the first epoch and for the second. The two differ where
``relax_tol`` lets settled samples stop: the first epoch starts every persistent
particle from zero, later epochs start it from its previous fixed point (the paper's
settings run every step, and their epochs cost the same). The machine is noisy:
compare the ratios, and never run two benchmarks at once.

    python benchmarks/bench_epoch.py                # 5,000 images, 3 rounds
    python benchmarks/bench_epoch.py --n-samples 2000 --rounds 5
"""

import argparse
import time
import warnings

import numpy as np
from _common import load_data
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sk_eqprop import EqPropClassifier, fast_hyperparameters, paper_hyperparameters


class EpochTimer:
    """Mixin recording the time at the end of every epoch (``_on_epoch_end`` hook)."""

    def fit(self, X, y):
        self.epoch_ends_ = [time.perf_counter()]
        return super().fit(X, y)

    def _on_epoch_end(self, params):
        self.epoch_ends_.append(time.perf_counter())

    def epoch_seconds(self):
        return np.diff(self.epoch_ends_)


class TimedEqProp(EpochTimer, EqPropClassifier):
    pass


class TimedMLP(MLPClassifier):
    """MLPClassifier trained one epoch per ``partial_fit`` call, each call timed."""

    def fit(self, X, y):
        self.epoch_ends_ = [time.perf_counter()]
        for _ in range(self.max_iter):
            self.partial_fit(X, y, classes=np.unique(y))
            self.epoch_ends_.append(time.perf_counter())
        return self

    epoch_seconds = EpochTimer.epoch_seconds


class TwoProducts:
    """The arithmetic that EqProp and the MLP share on 784-500-10: per minibatch of 20,
    the input's drive ``x W_0`` and the first layer's update ``x^T delta`` accumulated
    into ``W_0``. Its epoch time is a floor for both."""

    def __init__(self, max_iter=2):
        self.max_iter = max_iter

    def fit(self, X, y):
        W = np.random.default_rng(0).uniform(-0.07, 0.07, (X.shape[1], 500)).astype(X.dtype)
        product = np.empty_like(W)
        self.epoch_ends_ = [time.perf_counter()]
        for _ in range(self.max_iter):
            for start in range(0, len(X), 20):
                x = X[start : start + 20]
                drive = x @ W
                np.matmul(x.T, drive, out=product)
                product *= 0.0
                W += product
            self.epoch_ends_.append(time.perf_counter())
        return self

    epoch_seconds = EpochTimer.epoch_seconds


def contenders(deep_fraction):
    """(name, factory, fraction of the slice it trains on)."""
    def eqprop(hp):
        return lambda: TimedEqProp(**{**hp, "max_iter": 2}, random_state=0)

    return [
        ("floor: x W0 and x^T delta only", TwoProducts, 1.0),
        ("MLP sgd 784-500-10", lambda: TimedMLP(
            (500,), solver="sgd", batch_size=20, max_iter=2, random_state=0), 1.0),
        ("EqProp paper 784-500-10", eqprop(paper_hyperparameters("784-500-10")), 1.0),
        ("EqProp fast 784-500-10", eqprop(fast_hyperparameters("784-500-10")), 1.0),
        ("EqProp paper 784-500-500-10", eqprop(paper_hyperparameters("784-500-500-10")),
         deep_fraction),
        ("EqProp fast 784-500-500-10", eqprop(fast_hyperparameters("784-500-500-10")), 1.0),
        ("EqProp paper 784-500-500-500-10",
         eqprop(paper_hyperparameters("784-500-500-500-10")), deep_fraction),
        ("EqProp fast 784-500-500-500-10",
         eqprop(fast_hyperparameters("784-500-500-500-10")), 1.0),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deep-fraction", type=float, default=0.2,
                        help="the paper's deep presets (100 and 500 free steps) train on "
                        "this fraction of the slice")
    parser.add_argument("--data", help="path of mnist.pkl.gz (default: ../shared/data)")
    args = parser.parse_args(argv)

    mnist = load_data(args.data)
    X, y = mnist.X_train[: args.n_samples], mnist.y_train[: args.n_samples]
    entries = contenders(args.deep_fraction)
    seconds = {name: [] for name, _, _ in entries}  # per round: (first, second) epoch
    for round_ in range(args.rounds):
        order = entries if round_ % 2 == 0 else entries[::-1]
        for name, make, fraction in order:
            n = int(len(X) * fraction)
            model = make()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X[:n], y[:n])
            seconds[name].append(model.epoch_seconds()[:2] * 50_000 / n)
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)

    median = {name: np.median(values, axis=0) for name, values in seconds.items()}
    mlp = median["MLP sgd 784-500-10"]
    print(f"\n{args.n_samples} MNIST images, float32, batch 20, median of {args.rounds} rounds,"
          " seconds per 50k-image epoch")
    print(f"{'contender':<34} {'epoch 1':>8} {'vs MLP':>7} {'epoch 2':>8} {'vs MLP':>7}")
    for name, (first, second) in median.items():
        print(f"{name:<34} {first:>8.1f} {first / mlp[0]:>6.2f}x {second:>8.1f} "
              f"{second / mlp[1]:>6.2f}x")
    for arch in ("784-500-500-10", "784-500-500-500-10"):
        ratio = median[f"EqProp fast {arch}"] / median[f"EqProp paper {arch}"]
        print(f"{arch}: fast / paper epoch time = {ratio[0]:.3f} (epoch 1), "
              f"{ratio[1]:.3f} (epoch 2)")


if __name__ == "__main__":
    main()
