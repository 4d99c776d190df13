"""Training runs of the paper's MNIST networks with per-epoch monitoring.

Used by ``python -m sk_eqprop reproduce`` and ``benchmarks/reproduce_paper.py``.
"""

import inspect
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches

from ._base import network_input, training_settings
from ._classifier import EqPropClassifier
from ._core import zero_states
from ._core.training import free_phase, input_drive, network_outputs
from ._hyperparameters import fast_hyperparameters, paper_hyperparameters
from .datasets import load_mnist


class MonitoredEqProp(EqPropClassifier):
    """EqPropClassifier that records validation and test error after every epoch.

    ``monitor_data`` is ``(X_val, y_val)`` or ``(X_val, y_val, X_test, y_test)``.
    After each epoch a record (epoch, running training error, loss, validation
    and test error, fit seconds) is appended to ``history_`` and passed to
    ``monitor_callback``; the evaluation time is kept out of ``fit_seconds``.

    The errors are ``predict``'s: every image relaxes from zero until it settles.
    With ``monitor_particles=True`` the record also holds the errors as the
    paper's reference code measured them (``val_error_particles``,
    ``test_error_particles``): every evaluation image has its own persistent
    particle, carried across epochs, that each epoch relaxes ``n_iter_free``
    steps further with the training's free phase (from zero in the first epoch),
    and the error is counted at the particles. All three are constructor
    parameters, so ``clone`` keeps them.
    """

    def __init__(self, *, monitor_data=None, monitor_callback=None, monitor_particles=False,
                 **params):
        super().__init__(**params)
        self.monitor_data = monitor_data
        self.monitor_callback = monitor_callback
        self.monitor_particles = monitor_particles

    def fit(self, X, y, sample_weight=None):
        self.history_ = []
        self._eval_seconds = 0.0
        self._eval_particles = {}
        self._start = time.perf_counter()
        return super().fit(X, y, sample_weight=sample_weight)

    def _particle_error(self, key, X, y, params):
        """The error at the evaluation particles of ``X`` after relaxing them one more
        free phase (the reference code's validation)."""
        W, b = params.weights, params.biases
        settings = training_settings(self)
        if key not in self._eval_particles:
            self._eval_particles[key] = zero_states(X.shape[0], settings.relaxing(W))
        particles = self._eval_particles[key]
        predictions = np.empty(X.shape[0], dtype=self.classes_.dtype)
        for rows in gen_batches(X.shape[0], 1000):
            x = network_input(self, X[rows])
            states = particles[rows]  # relaxed in place
            free_phase(settings, input_drive(x, W[0], shift=settings.input_shift), states, W, b,
                       settings.n_iter_free,
                       tol=settings.tol)
            outputs = network_outputs(states, W, b, settings.link)
            predictions[rows] = self.classes_[outputs.argmax(axis=1)]
        return float(np.mean(predictions != y))

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
        if self.monitor_particles:
            record["val_error_particles"] = self._particle_error("val", X_val, y_val, params)
            record["test_error_particles"] = (
                self._particle_error("test", X_test, y_test, params)
                if X_test is not None else float("nan"))
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
        particles = ""
        if "val_error_particles" in r:
            particles = (f" (at particles: val {100 * r['val_error_particles']:.2f}%, "
                         f"test {100 * r['test_error_particles']:.2f}%)")
        print(
            f"[{r['epoch']}/{max_iter}] train err {100 * r['train_error']:.2f}%, "
            f"val err {100 * r['val_error']:.2f}%, test err {100 * r['test_error']:.2f}%"
            f"{particles}, fit {r['fit_seconds']:.0f}s",
            flush=True,
        )

    return report


def reproduce(architecture, preset="table", *, params=None, mnist=None, n_train=None,
              random_state=0, callback=None, monitor_particles=False):
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
    monitor_particles : bool, default=False
        Also measure the validation and test errors at persistent particles of the
        evaluation images, as the paper's reference code did (see
        :class:`MonitoredEqProp`).

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
        monitor_callback=callback, monitor_particles=monitor_particles,
    )
    with warnings.catch_warnings():  # the paper trains for a fixed number of epochs
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


# The parameters scikit-learn sees (get_params, clone): the classifier's and the three above.
_SIGNATURE = inspect.signature(EqPropClassifier.__init__)
MonitoredEqProp.__init__.__signature__ = _SIGNATURE.replace(parameters=[
    *_SIGNATURE.parameters.values(),
    inspect.Parameter("monitor_data", inspect.Parameter.KEYWORD_ONLY, default=None),
    inspect.Parameter("monitor_callback", inspect.Parameter.KEYWORD_ONLY, default=None),
    inspect.Parameter("monitor_particles", inspect.Parameter.KEYWORD_ONLY, default=False),
])
