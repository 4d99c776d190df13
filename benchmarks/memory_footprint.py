"""Peak memory of ``predict_proba`` on 100,000 MNIST rows, by ``working_memory``.

Fits ``EqPropClassifier(hidden_layer_sizes=(500,), max_iter=1)`` on 2,000 MNIST
training images, tiles the 10,000 test images into 100,000 float32 rows and
measures, with :mod:`tracemalloc` (NumPy reports its array allocations to it),
the peak memory that ``predict_proba`` allocates on top of X, for scikit-learn's
default ``working_memory`` and for ``working_memory=64`` (MiB).

Run: ``python benchmarks/memory_footprint.py``
"""

import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning

from sk_eqprop import EqPropClassifier
from sk_eqprop.datasets import load_mnist

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.pkl.gz"
N_TRAIN = 2_000
N_ROWS = 100_000
MIB = 2**20


def peak_of(function, *args):
    """Result of ``function(*args)``, peak traced bytes during the call, seconds."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    try:
        result = function(*args)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak, seconds


def main():
    data = load_mnist(MNIST, dtype=np.float32)
    clf = EqPropClassifier(hidden_layer_sizes=(500,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(data.X_train[:N_TRAIN], data.y_train[:N_TRAIN])

    reps = -(-N_ROWS // len(data.X_test))
    X = np.ascontiguousarray(np.tile(data.X_test, (reps, 1))[:N_ROWS], dtype=np.float32)
    del data
    print(f"EqPropClassifier(hidden_layer_sizes=(500,)) fitted on {N_TRAIN} MNIST images")
    print(f"X: {X.shape[0]:,} x {X.shape[1]} {X.dtype}, {X.nbytes / MIB:.1f} MiB")
    print(f"{'working_memory':>16}  {'peak of predict_proba':>22}  {'peak / X':>8}  {'time':>7}")

    default = sklearn.get_config()["working_memory"]
    results = {}
    for label, working_memory in [(f"{default} (default)", default), ("64", 64)]:
        with sklearn.config_context(working_memory=working_memory):
            proba, peak, seconds = peak_of(clf.predict_proba, X)
        results[label] = proba
        print(
            f"{label:>16}  {peak / MIB:>18.1f} MiB  {peak / X.nbytes:>8.2f}  {seconds:>6.1f}s"
        )
    first, second = results.values()
    # Chunks of other sizes go through BLAS products of other shapes: equal up to rounding.
    print(
        f"settings agree: max |proba difference| {np.abs(first - second).max():.2e}, "
        f"{np.count_nonzero(first.argmax(axis=1) != second.argmax(axis=1))} predictions differ"
    )


if __name__ == "__main__":
    main()
