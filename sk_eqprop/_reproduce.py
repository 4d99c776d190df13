"""Training runs of the paper's MNIST networks with per-epoch monitoring.

Used by ``python -m sk_eqprop reproduce`` and ``benchmarks/reproduce_paper.py``.
"""

import inspect
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._classifier import EqPropClassifier
from ._hyperparameters import fast_hyperparameters, paper_hyperparameters
from .datasets import load_mnist


class MonitoredEqProp(EqPropClassifier):
    """EqPropClassifier that records validation and test error after every epoch.

    ``monitor_data`` is ``(X_val, y_val)`` or ``(X_val, y_val, X_test, y_test)``.
    After each epoch a record (epoch, running training error, loss, validation
    and test error, fit seconds) is appended to ``history_`` and passed to
    ``monitor_callback``; the evaluation time is kept out of ``fit_seconds``.
    Both are constructor parameters, so ``clone`` keeps them.
    """

    def __init__(self, *, monitor_data=None, monitor_callback=None, **params):
        super().__init__(**params)
        self.monitor_data = monitor_data
        self.monitor_callback = monitor_callback

    def fit(self, X, y, sample_weight=None):
        self.history_ = []
        self._eval_seconds = 0.0
        self._start = time.perf_counter()
        return super().fit(X, y, sample_weight=sample_weight)

    def _on_epoch_end(self, params):
        start = time.perf_counter()
        X_val, y_val, X_test, y_test = (*self.monitor_data, None, None)[:4]

        def error(X, y):
            outputs = self._relax_outputs(X, params.weights, params.biases, warn=False)
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
        if self.monitor_callback is not None:
            self.monitor_callback(record)


def preset_hyperparameters(architecture, preset):
    """``"table"`` or ``"code"`` (:func:`paper_hyperparameters`), or ``"fast"``."""
    if preset == "fast":
        return fast_hyperparameters(architecture)
    return paper_hyperparameters(architecture, variant=preset)


def print_record(max_iter):
    """A callback that prints one progress line per epoch."""

    def report(r):
        print(
            f"[{r['epoch']}/{max_iter}] train err {100 * r['train_error']:.2f}%, "
            f"val err {100 * r['val_error']:.2f}%, test err {100 * r['test_error']:.2f}%, "
            f"fit {r['fit_seconds']:.0f}s",
            flush=True,
        )

    return report


def reproduce(architecture, preset="table", *, params=None, mnist=None, n_train=None,
              random_state=0, callback=None):
    """Train one of the paper's networks on MNIST, monitoring every epoch.

    Parameters
    ----------
    architecture : str
        One of :data:`~sk_eqprop.PAPER_ARCHITECTURES`.
    preset : {"table", "code", "fast"}
        Hyperparameters: the paper's Table 1, its reference code, or ours.
    params : dict, optional
        Overrides of the preset's hyperparameters (e.g. ``{"max_iter": 5}``).
    mnist : Bunch, optional
        The output of :func:`~sk_eqprop.datasets.load_mnist`; loaded if None.
    n_train : int, optional
        Train on the first ``n_train`` training images only.
    random_state : int
        Seed.
    callback : callable, optional
        Called with each epoch's record; defaults to printing a progress line.

    Returns
    -------
    clf : MonitoredEqProp
        The fitted estimator, its records in ``history_``.
    """
    hyperparameters = {**preset_hyperparameters(architecture, preset), **(params or {})}
    mnist = load_mnist() if mnist is None else mnist
    X, y = mnist.X_train, mnist.y_train
    if n_train:
        X, y = X[:n_train], y[:n_train]
    callback = print_record(hyperparameters["max_iter"]) if callback is None else callback
    clf = MonitoredEqProp(
        **hyperparameters, random_state=random_state,
        monitor_data=(mnist.X_val, mnist.y_val, mnist.X_test, mnist.y_test),
        monitor_callback=callback,
    )
    with warnings.catch_warnings():  # the paper trains for a fixed number of epochs
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


# The parameters scikit-learn sees (get_params, clone): the classifier's and the two above.
_SIGNATURE = inspect.signature(EqPropClassifier.__init__)
MonitoredEqProp.__init__.__signature__ = _SIGNATURE.replace(parameters=[
    *_SIGNATURE.parameters.values(),
    inspect.Parameter("monitor_data", inspect.Parameter.KEYWORD_ONLY, default=None),
    inspect.Parameter("monitor_callback", inspect.Parameter.KEYWORD_ONLY, default=None),
])
