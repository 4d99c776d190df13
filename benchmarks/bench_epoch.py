"""Time one training epoch of each preset and of MLPClassifier, in one process.

Every contender trains one epoch on the same slice of MNIST, fresh each round; the
rounds alternate the contenders, and the medians are reported as seconds per 50,000
images and as ratios. The machine is noisy: compare the ratios, and never run two
benchmarks at once.

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


class TwoProducts:
    """The arithmetic that EqProp and the MLP share on 784-500-10: per minibatch of 20,
    the input's drive ``x W_0`` and the first layer's update ``x^T delta`` accumulated
    into ``W_0``. Its epoch time is a floor for both."""

    def fit(self, X, y):
        W = np.random.default_rng(0).uniform(-0.07, 0.07, (X.shape[1], 500)).astype(X.dtype)
        product = np.empty_like(W)
        for start in range(0, len(X), 20):
            x = X[start : start + 20]
            drive = x @ W
            np.matmul(x.T, drive, out=product)
            product *= 0.0
            W += product
        return self


def contenders(deep_fraction):
    """(name, factory, fraction of the slice it trains on)."""
    def eqprop(hp):
        return lambda: EqPropClassifier(**{**hp, "max_iter": 1}, random_state=0)

    return [
        ("floor: x W0 and x^T delta only", TwoProducts, 1.0),
        ("MLP sgd 784-500-10", lambda: MLPClassifier(
            (500,), solver="sgd", batch_size=20, max_iter=1, random_state=0), 1.0),
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
    seconds = {name: [] for name, _, _ in entries}
    for round_ in range(args.rounds):
        order = entries if round_ % 2 == 0 else entries[::-1]
        for name, make, fraction in order:
            n = int(len(X) * fraction)
            model = make()
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X[:n], y[:n])
            seconds[name].append((time.perf_counter() - start) * 50_000 / n)
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)

    median = {name: float(np.median(values)) for name, values in seconds.items()}
    mlp = median["MLP sgd 784-500-10"]
    print(f"\n{args.n_samples} MNIST images, float32, batch 20, median of {args.rounds} rounds")
    print(f"{'contender':<34} {'s / 50k epoch':>14} {'vs MLP sgd':>11}")
    for name, value in median.items():
        print(f"{name:<34} {value:>14.1f} {value / mlp:>10.2f}x")
    for arch in ("784-500-500-10", "784-500-500-500-10"):
        ratio = median[f"EqProp fast {arch}"] / median[f"EqProp paper {arch}"]
        print(f"{arch}: fast / paper epoch time = {ratio:.3f}")


if __name__ == "__main__":
    main()
