"""Helpers shared by the benchmark scripts (not part of the package)."""

import time
from pathlib import Path

import numpy as np

from sk_eqprop import EqPropClassifier
from sk_eqprop.datasets import load_mnist

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist.pkl.gz"


def load_data(path=None, dtype=np.float32):
    """The paper's MNIST split: ``path``, else ../shared/data/mnist.pkl.gz, else load_mnist()."""
    if path is None and SHARED_MNIST.exists():
        path = SHARED_MNIST
    return load_mnist(path, dtype=dtype)


class MonitoredEqProp(EqPropClassifier):
    """EqPropClassifier that records validation and test error after every epoch.

    The evaluation time is measured and kept out of ``fit_seconds_``.
    """

    def monitor(self, X_val, y_val, X_test=None, y_test=None, callback=None):
        self._monitor_data = (X_val, y_val, X_test, y_test)
        self._monitor_callback = callback
        self.history_ = []
        self._eval_seconds = 0.0
        self._start = time.perf_counter()
        return self

    def _on_epoch_end(self, params):
        start = time.perf_counter()
        X_val, y_val, X_test, y_test = self._monitor_data

        def error(X, y):
            outputs = self._relax_outputs(X, params.weights, params.biases)
            return float(np.mean(self.classes_[outputs.argmax(axis=1)] != y))

        record = {
            "epoch": self.n_iter_,
            "train_error": self.train_error_curve_[-1],
            "loss": self.loss_curve_[-1],
            "val_error": error(X_val, y_val),
            "test_error": error(X_test, y_test) if X_test is not None else float("nan"),
        }
        self._eval_seconds += time.perf_counter() - start
        record["fit_seconds"] = time.perf_counter() - self._start - self._eval_seconds
        self.history_.append(record)
        if self._monitor_callback is not None:
            self._monitor_callback(record)
