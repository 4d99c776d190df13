"""Relaxation sweeps per sample and fit time at depth, before and after.

Fits ``EqPropClassifier`` with ``verbose=2`` on the digits (a stratified 75/25 split,
StandardScaler) with one, two and three hidden layers of 100 units, at the defaults
("now") and at the previous release's defaults where they differ ("before":
``beta=0.2``, ``alpha=1.0``, ``n_iter_nudged=4`` with the absolute ``relax_tol``, no
coupling bound), and prints the mean free and nudged sweeps per sample over the epochs
(from the ``verbose=2`` lines), the epochs run, the fit time and the test accuracy,
beside ``MLPClassifier`` with the same hidden layers.

    python benchmarks/depth_sweeps.py
"""

import contextlib
import io
import re
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sk_eqprop import EqPropClassifier

BEFORE = dict(beta=0.2, alpha=1.0, n_iter_nudged=4, coupling_bound=None)
LINE = re.compile(r"free phase ([\d.]+) sweeps per sample .*nudged phase ([\d.]+)")


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    print(f"{'hidden':16s} {'model':12s} {'free':>6s} {'nudged':>7s} {'epochs':>6s} "
          f"{'fit':>7s} {'accuracy':>8s}")
    for depth in (1, 2, 3):
        hidden = (100,) * depth
        for name, params in (("EqProp now", {}), ("EqProp before", BEFORE)):
            clf = EqPropClassifier(hidden_layer_sizes=hidden, random_state=0, verbose=2,
                                   **params)
            out = io.StringIO()
            start = time.perf_counter()
            with warnings.catch_warnings(), contextlib.redirect_stdout(out):
                warnings.simplefilter("ignore")
                clf.fit(X_train, y_train)
            elapsed = time.perf_counter() - start
            sweeps = np.array([[float(a), float(b)] for a, b in LINE.findall(out.getvalue())])
            free, nudged = sweeps.mean(axis=0)
            print(f"{str(hidden):16s} {name:12s} {free:6.1f} {nudged:7.1f} {clf.n_iter_:6d} "
                  f"{elapsed:6.1f}s {clf.score(X_test, y_test):8.4f}", flush=True)
        mlp = MLPClassifier(hidden_layer_sizes=hidden, random_state=0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mlp.fit(X_train, y_train)
        elapsed = time.perf_counter() - start
        print(f"{str(hidden):16s} {'MLP':12s} {'':6s} {'':7s} {mlp.n_iter_:6d} "
              f"{elapsed:6.1f}s {mlp.score(X_test, y_test):8.4f}", flush=True)


if __name__ == "__main__":
    main()
