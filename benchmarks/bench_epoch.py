"""Time training epochs of each preset, on each backend, and of MLPClassifier, in one process.

Every contender trains two epochs on the same slice of MNIST, fresh each round; the
rounds alternate the contenders, and the medians are reported as seconds per 50,000
images and as ratios, for the first epoch and for the second. The two differ where
``relax_tol`` lets settled samples stop: the first epoch starts every persistent
particle from zero, later epochs start it from its previous fixed point (the paper's
settings run every step, and their epochs cost the same). The machine is noisy:
compare the ratios, and never run two benchmarks at once.

With JAX installed every preset also runs with ``backend="jax"``. Its compiled
functions are built by a one-epoch warm-up fit before the rounds (the rounds then
time compiled epochs, as a grid search's later candidates see them); the warm-up
minus a compiled first epoch is reported as the compilation time. A last table
times whole fits at the defaults on scikit-learn's digits (small data, where the
compilation is most of a JAX fit).

    python benchmarks/bench_epoch.py                # 5,000 images, 3 rounds
    python benchmarks/bench_epoch.py --n-samples 2000 --rounds 5
    python benchmarks/bench_epoch.py --backend jax  # the JAX contenders only (and the MLP)
"""

import argparse
import importlib.util
import time
import warnings

import numpy as np
from _common import load_data
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
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


PRESETS = [
    ("paper", "784-500-10", False),
    ("fast", "784-500-10", False),
    ("paper", "784-500-500-10", True),
    ("fast", "784-500-500-10", False),
    ("paper", "784-500-500-500-10", True),
    ("fast", "784-500-500-500-10", False),
]


def eqprop_name(kind, arch, backend):
    return f"EqProp {kind} {arch}" + (" [jax]" if backend == "jax" else "")


def contenders(deep_fraction, backends):
    """(name, factory, fraction of the slice it trains on, backend or None)."""
    entries = [
        ("floor: x W0 and x^T delta only", TwoProducts, 1.0, None),
        ("MLP sgd 784-500-10", lambda: TimedMLP(
            (500,), solver="sgd", batch_size=20, max_iter=2, random_state=0), 1.0, None),
    ]
    for backend in backends:
        for kind, arch, deep in PRESETS:
            hp = (paper_hyperparameters if kind == "paper" else fast_hyperparameters)(arch)

            def make(hp=hp, backend=backend):
                return TimedEqProp(**{**hp, "max_iter": 2}, random_state=0, backend=backend)

            entries.append((eqprop_name(kind, arch, backend), make,
                            deep_fraction if deep else 1.0, backend))
    return entries


def fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def small_data(backends):
    """Whole fits at the defaults on digits: seconds and test accuracy."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    runs = [("MLPClassifier()", lambda: MLPClassifier(random_state=0))]
    for backend in backends:
        label = f'EqPropClassifier(backend="{backend}")'
        runs.append((label + (", compiling" if backend == "jax" else ""),
                     lambda b=backend: EqPropClassifier(random_state=0, backend=b)))
        if backend == "jax":
            runs.append((label + ", compiled", lambda: EqPropClassifier(random_state=0,
                                                                        backend="jax")))
    print("\ndigits (1,347 training images), defaults, whole fit")
    print(f"{'estimator':<48} {'fit s':>7} {'epochs':>7} {'accuracy':>9}")
    for name, make in runs:
        start = time.perf_counter()
        model = fit_quietly(make(), X_train, y_train)
        seconds = time.perf_counter() - start
        print(f"{name:<48} {seconds:>7.2f} {model.n_iter_:>7} "
              f"{model.score(X_test, y_test):>9.4f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deep-fraction", type=float, default=0.2,
                        help="the paper's deep presets (100 and 500 free steps) train on "
                        "this fraction of the slice")
    parser.add_argument("--backend", choices=["numpy", "jax", "both"], default=None,
                        help="the EqProp backends to time (default: both where JAX is "
                        "installed, else numpy)")
    parser.add_argument("--data", help="path of mnist.pkl.gz (default: ../shared/data)")
    args = parser.parse_args(argv)
    has_jax = importlib.util.find_spec("jax") is not None
    choice = args.backend or ("both" if has_jax else "numpy")
    backends = ["numpy", "jax"] if choice == "both" else [choice]
    if "jax" in backends and not has_jax:
        parser.error('--backend jax needs JAX: pip install "sk_eqprop[jax]"')

    mnist = load_data(args.data)
    X, y = mnist.X_train[: args.n_samples], mnist.y_train[: args.n_samples]
    entries = contenders(args.deep_fraction, backends)
    warm_up = {}  # JAX: seconds of a one-epoch fit that compiles
    for name, make, fraction, backend in entries:
        if backend == "jax":
            n = int(len(X) * fraction)
            model = make().set_params(max_iter=1)
            start = time.perf_counter()
            fit_quietly(model, X[:n], y[:n])
            warm_up[name] = time.perf_counter() - start
    if warm_up:
        print("JAX contenders compiled", flush=True)
    seconds = {name: [] for name, *_ in entries}  # per round: (first, second) epoch
    raw_first = {name: [] for name, *_ in entries}  # seconds of the first epoch itself
    for round_ in range(args.rounds):
        order = entries if round_ % 2 == 0 else entries[::-1]
        for name, make, fraction, _ in order:
            n = int(len(X) * fraction)
            model = fit_quietly(make(), X[:n], y[:n])
            epochs = model.epoch_seconds()[:2]
            seconds[name].append(epochs * 50_000 / n)
            raw_first[name].append(epochs[0])
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)

    median = {name: np.median(values, axis=0) for name, values in seconds.items()}
    mlp = median["MLP sgd 784-500-10"]
    print(f"\n{args.n_samples} MNIST images, float32, batch 20, median of {args.rounds} rounds,"
          " seconds per 50k-image epoch (JAX: compiled epochs)")
    print(f"{'contender':<40} {'epoch 1':>8} {'vs MLP':>7} {'epoch 2':>8} {'vs MLP':>7}")
    for name, (first, second) in median.items():
        print(f"{name:<40} {first:>8.2f} {first / mlp[0]:>6.2f}x {second:>8.2f} "
              f"{second / mlp[1]:>6.2f}x")
    if "numpy" in backends:
        for arch in ("784-500-500-10", "784-500-500-500-10"):
            ratio = median[f"EqProp fast {arch}"] / median[f"EqProp paper {arch}"]
            print(f"{arch}: fast / paper epoch time = {ratio[0]:.3f} (epoch 1), "
                  f"{ratio[1]:.3f} (epoch 2)")
    if "jax" in backends:
        print(f"\n{'JAX backend':<40} {'compile s':>9} {'speedup over NumPy (epoch 1, 2)':>33}")
        for kind, arch, _ in PRESETS:
            name = eqprop_name(kind, arch, "jax")
            compile_s = warm_up[name] - np.median(raw_first[name])
            line = f"{name:<40} {compile_s:>9.1f}"
            if "numpy" in backends:
                speedup = median[eqprop_name(kind, arch, "numpy")] / median[name]
                line += f" {speedup[0]:>15.2f}x {speedup[1]:>15.2f}x"
            print(line)
    small_data(backends)


if __name__ == "__main__":
    main()
