"""The fit loop shared by every Equilibrium Propagation estimator."""

import copy
import time
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import BaseEstimator, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.sparsefuncs import mean_variance_axis
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._core import SGD, Adam, glorot_uniform, scheduled_rates, zero_states
from ._core.coupling import auto_coupling_bound, coupling_indices
from ._core.training import (
    EXPLODED_WEIGHT,
    InputOverflowError,
    NumpyEpochs,
    Parameters,
    TrainingDivergedError,
    TrainingSettings,
    free_phase,
    input_drive,
    network_outputs,
)
from ._core.workspace import Workspace
from ._hyperparameters import resolve_learning_rates
from ._progress import epoch_line, relaxation_line, stop_line

# Prediction stops a sample once no unit moved by more than this in one iteration,
# when ``relax_tol`` is None (the paper's fixed iteration counts in training).
_PREDICT_TOL = 1e-4

# The cap of n_iter_nudged="auto", in layerwise sweeps per hidden layer.
_NUDGED_SWEEPS_PER_LAYER = 4

# Prediction relaxes chunks of rows whose working arrays take at most this many MiB
# (or scikit-learn's ``working_memory``, if lower): enough rows for efficient matrix
# products, few enough temporaries to keep peak memory near the input's size.
_PREDICT_WORKING_MEMORY = 32


class BaseEqProp(BaseEstimator, metaclass=ABCMeta):
    """Base class of the EqProp estimators: the training loop of Scellier & Bengio (2017).

    Subclasses fit their target metadata (``_fit_target_coding``) and say how
    targets map onto the output units through one object, ``_target_coding()``
    (see :mod:`._targets`).
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "output": [StrOptions({"readout", "energy"})],
        "input_scaling": [StrOptions({"standard"}), None],
        "beta": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "epsilon": [Interval(Real, 0, 1, closed="right")],
        "n_iter_free": [Interval(Integral, 1, None, closed="left")],
        "n_iter_nudged": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
            "array-like",
        ],
        "learning_rate_schedule": [StrOptions({"constant", "cosine"})],
        "solver": [StrOptions({"adam", "sgd"})],
        "alpha": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "nudging": [StrOptions({"random_sign", "positive", "symmetric"})],
        "relaxation": [StrOptions({"gradient", "layerwise"})],
        "relax_tol": [None, Interval(Real, 0, None, closed="left")],
        "n_iter_predict": [None, Interval(Integral, 1, None, closed="left")],
        "init_gain": [Interval(Real, 0, None, closed="neither")],
        "coupling_bound": [None, StrOptions({"auto"}),
                           Interval(Real, 0, None, closed="neither")],
        "persistent_particles": ["boolean"],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "backend": [StrOptions({"numpy", "jax"})],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        *,
        output,
        input_scaling,
        beta,
        epsilon,
        n_iter_free,
        n_iter_nudged,
        learning_rate,
        learning_rate_schedule,
        solver,
        alpha,
        batch_size,
        max_iter,
        nudging,
        relaxation,
        relax_tol,
        n_iter_predict,
        init_gain,
        coupling_bound,
        persistent_particles,
        shuffle,
        early_stopping,
        validation_fraction,
        n_iter_no_change,
        tol,
        warm_start,
        random_state,
        verbose,
        backend,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.output = output
        self.input_scaling = input_scaling
        self.beta = beta
        self.epsilon = epsilon
        self.n_iter_free = n_iter_free
        self.n_iter_nudged = n_iter_nudged
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.nudging = nudging
        self.relaxation = relaxation
        self.relax_tol = relax_tol
        self.n_iter_predict = n_iter_predict
        self.init_gain = init_gain
        self.coupling_bound = coupling_bound
        self.persistent_particles = persistent_particles
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.backend = backend

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _fit_target_coding(self, y, incremental, reset, sample_weight=None):
        """Validate ``y`` and set (``reset``) or check the fitted target metadata
        (``classes_``, ``target_offset_``...), its statistics weighted by
        ``sample_weight``; returns ``y`` as the coding takes it."""

    @abstractmethod
    def _target_coding(self):
        """The fitted target coding (:mod:`._targets`): encode, decode, link, errors,
        initial bias, score, stratification."""

    def _link(self):
        """The readout's link with ``output="readout"``; None for the paper's energy output."""
        return self._target_coding().link if self.output == "readout" else None

    def _validation_score(self, params, X, y, sample_weight=None):
        """Score of the parameters being trained on held-out data (higher is better)."""
        coding = self._target_coding()
        outputs = self._relax_outputs(X, params.weights, params.biases, warn=False)
        return float(coding.score(y, coding.decode(outputs), sample_weight=sample_weight))

    # ------------------------------------------------------------------ fit
    # beta="auto" and alpha="auto" depend on the number of hidden layers n. From two
    # hidden layers on the layers interact, and the nudged phase leaves the linear
    # response that the EqProp estimate assumes unless beta shrinks with depth:
    # beta = 0.2 / 4**(n - 1). The coupling bound regularises in place of most of the
    # penalty: alpha is _AUTO_ALPHA[0] for one hidden layer, _AUTO_ALPHA[1] for more.
    _AUTO_BETA = 0.2
    _AUTO_ALPHA = (1.0, 0.01)

    def _auto_beta(self):
        return self._AUTO_BETA / 4.0 ** (len(self._hidden_sizes()) - 1)

    def _coupling_bound(self):
        """``coupling_bound``, with "auto" resolved for this network's chain of free
        layers (the hidden layers, and the output layer with ``output="energy"``)."""
        if self.coupling_bound != "auto":
            return None if self.coupling_bound is None else float(self.coupling_bound)
        n_free = len(self._hidden_sizes()) + (self.output == "energy")
        return auto_coupling_bound(n_free)

    def _auto_alpha(self):
        return self._AUTO_ALPHA[0] if len(self._hidden_sizes()) == 1 else self._AUTO_ALPHA[1]

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if len(sizes) == 0:
            raise ValueError(
                "hidden_layer_sizes is empty; EqProp needs at least one hidden layer, "
                "e.g. hidden_layer_sizes=(500,)."
            )
        if not all(isinstance(n, Integral) and n >= 1 for n in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}."
            )
        return [int(n) for n in sizes]

    def _fit(self, X, y, incremental, sample_weight=None, classes=None):
        """Validate, then train; a call that raises leaves the estimator as it was.

        This is the only rollback: everything a training call changes is in
        ``vars(self)`` (the weights are trained in place), and a failed or
        diverged call, or one interrupted before its first epoch ends, gets the
        snapshot back.
        """
        state = self._snapshot()
        try:
            return self._fit_unguarded(X, y, incremental, sample_weight, classes)
        except BaseException:
            self._restore(state)
            raise

    def _check_partial_fit_classes(self, classes):
        """Hook: the classifier checks and stores ``classes`` on the first ``partial_fit``."""

    def _fit_unguarded(self, X, y, incremental, sample_weight, classes):
        if incremental:
            self._check_partial_fit_classes(classes)
        first_call = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        hidden = self._hidden_sizes()
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True; use fit, or set "
                "early_stopping=False."
            )
        X, y = validate_data(
            self,
            X,
            y,
            reset=first_call,
            accept_sparse="csr",
            # float32 input trains in float32; later calls keep the first call's dtype.
            dtype=(np.float64, np.float32) if first_call else self.coefs_[0].dtype,
            y_numeric=is_regressor(self),
            multi_output=True,
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            if not sample_weight.any():  # scikit-learn < 1.7 lets these through
                raise ValueError(
                    "sample_weight must contain at least one non-zero weight; all are 0."
                )
        y = self._fit_target_coding(y, incremental=incremental, reset=first_call,
                                    sample_weight=sample_weight)
        coding = self._target_coding()
        targets = coding.encode(y, X.dtype)
        layer_sizes = [X.shape[1], *hidden, targets.shape[1]]
        if not first_call and layer_sizes != self._layer_sizes():
            raise ValueError(
                f"The network's layer sizes changed from {self._layer_sizes()} to {layer_sizes} "
                "since the previous fit; set warm_start=False to train a new network."
            )
        learning_rates = resolve_learning_rates(self.learning_rate, len(layer_sizes) - 1,
                                                self.solver)
        # "auto" is checked by the parameter constraints.
        self.beta_ = self._auto_beta() if self.beta == "auto" else float(self.beta)
        self.alpha_ = self._auto_alpha() if self.alpha == "auto" else float(self.alpha)
        couplings = coupling_indices(len(layer_sizes) - 1, self.output == "readout")
        self.coupling_bound_ = self._coupling_bound() if couplings else None
        if (
            self.output == "energy"
            and self.relaxation == "layerwise"
            and self.nudging != "positive"
            and self.beta_ >= 1
        ):
            warnings.warn(
                f"With relaxation='layerwise' and nudging={self.nudging!r}, beta={self.beta_} "
                "makes the output's energy concave in the -beta phase: its exact minimiser "
                "snaps every output unit to 0 or 1, and learning suffers. Use beta < 1 "
                "(e.g. 0.5), nudging='positive', or relaxation='gradient'.",
                UserWarning, stacklevel=2,
            )

        if first_call or not hasattr(self, "_random_state"):
            self._random_state = check_random_state(self.random_state)
        # The validation rows are held out before anything is fitted to the data.
        validation = None
        if self.early_stopping:
            X, y, targets, sample_weight, validation = self._split_validation(
                X, y, targets, sample_weight
            )
        if first_call:
            self._fit_input_map(X, sample_weight)
            weights, biases = glorot_uniform(
                layer_sizes, self._random_state, dtype=X.dtype, gain=self.init_gain
            )
            biases[-1][...] = coding.initial_bias(targets, self.output, sample_weight)
            params = Parameters(
                weights, biases, self._new_optimizer(weights, biases, learning_rates),
                couplings, self.coupling_bound_,
            )
            params.bound_couplings()  # the initial weights obey the bound too
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            if coding.reports_errors:
                self.train_error_curve_ = []
            self._no_improvement_count = 0
            self._best_params = None
            # As MLP: with early stopping the validation score decides, not the loss.
            self.best_loss_ = None if self.early_stopping else np.inf
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
            else:
                self.validation_scores_ = None
                self.best_validation_score_ = None
        else:
            weights, biases = self.coefs_, self.intercepts_  # trained in place
            optimizer = self._new_optimizer(weights, biases, learning_rates)
            if isinstance(optimizer, Adam):
                optimizer.load_state(getattr(self, "_adam_state", None))
            params = Parameters(weights, biases, optimizer, couplings, self.coupling_bound_)
            params.bound_couplings()
            if self.early_stopping and getattr(self, "validation_scores_", None) is None:
                # Early stopping switched on since the previous fit: its records start here.
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self._best_params = None

        self.learning_rates_ = learning_rates
        if not incremental:
            self._no_improvement_count = 0
        self._run_epochs(X, y, targets, sample_weight, params, incremental, validation)
        return self

    def _fit_input_map(self, X, sample_weight=None):
        """``input_offset_`` and ``input_scale_``: the map of the features onto the network's
        input, ``(X - input_offset_) / input_scale_`` (None with ``input_scaling=None``),
        from the training rows' statistics, weighted by ``sample_weight``."""
        if self.input_scaling is None:
            self.input_offset_ = self.input_scale_ = None
            return
        if sp.issparse(X):  # the statistics of the dense data (see ``input_shift``)
            offset, variance = mean_variance_axis(X, axis=0, weights=sample_weight)
            offset = offset.astype(np.float64)
            scale = np.sqrt(variance.astype(np.float64))
        elif sample_weight is None:  # in float64: float32 squares of large features overflow
            offset, scale = X.mean(axis=0, dtype=np.float64), X.std(axis=0, dtype=np.float64)
        else:
            X64 = X.astype(np.float64, copy=False)
            offset = np.average(X64, axis=0, weights=sample_weight)
            scale = np.sqrt(np.average((X64 - offset) ** 2, axis=0, weights=sample_weight))
        scale[~(scale > 10 * np.finfo(X.dtype).eps * np.maximum(np.abs(offset), 1))] = 1.0
        self.input_offset_ = offset.astype(X.dtype)
        self.input_scale_ = scale.astype(X.dtype)

    def _new_optimizer(self, weights, biases, learning_rates):
        """Adam for ``solver="adam"``, plain steps for "sgd"."""
        optimizer_class = Adam if self.solver == "adam" else SGD
        return optimizer_class(weights, biases, learning_rates, alpha=self.alpha_)

    def _batch_size(self, n_samples):
        """The minibatch size: ``batch_size``, or ``min(200, n_samples)`` for "auto" (as MLP)."""
        batch_size = 200 if self.batch_size == "auto" else self.batch_size
        return min(batch_size, n_samples)

    def _check_l2_shrink(self, n_samples):
        """The L2 shrink factor ``1 - rate * alpha / n`` must stay positive for every minibatch."""
        if not self.alpha_ or self.solver != "sgd":
            return
        batch_size = self._batch_size(n_samples)
        smallest_batch = n_samples % batch_size or batch_size
        factor = 1.0 - max(self.learning_rates_) * self.alpha_ / smallest_batch
        if factor <= 0.0:
            raise ValueError(
                f"alpha={self.alpha_} is too large for learning_rate={max(self.learning_rates_)} "
                f"and a minibatch of {smallest_batch} samples: the weights would be shrunk by "
                f"the factor 1 - learning_rate * alpha / n_batch = {factor:.3g} <= 0. Lower "
                "alpha or learning_rate, or use larger minibatches."
            )

    def _snapshot(self):
        """A deep copy of the fitted state (weights, curves, random state), to restore if a
        training call fails."""
        return copy.deepcopy(vars(self))

    def _restore(self, state):
        for key in [k for k in vars(self) if k not in state]:
            delattr(self, key)
        vars(self).update(state)

    def _layer_sizes(self):
        return [self.coefs_[0].shape[0]] + [W.shape[1] for W in self.coefs_]

    def _commit(self, params):
        self.coefs_ = params.weights
        self.intercepts_ = params.biases
        # Adam's moments as plain arrays, for warm starts and partial_fit.
        self._adam_state = params.optimizer.state() if isinstance(params.optimizer, Adam) else None
        self.n_layers_ = len(params.weights) + 1
        self.n_outputs_ = params.weights[-1].shape[1]

    def _split_validation(self, X, y, targets, sample_weight):
        """Hold out ``validation_fraction`` of the data for early stopping (stratified for
        single-label classifiers). Returns the training part and ``(X_val, y_val, w_val)``,
        with ``w_val`` the validation part's sample weights (None without weights)."""
        weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        try:
            X, X_val, targets, _, y, y_val, weights, weights_val = train_test_split(
                X,
                targets,
                y,
                weights,
                random_state=self._random_state,
                test_size=self.validation_fraction,
                stratify=y if self._target_coding().stratify else None,
            )
        except ValueError as exc:
            raise ValueError(
                "early_stopping cannot hold out a validation set "
                f"(validation_fraction={self.validation_fraction}) from {X.shape[0]} "
                f"samples: {exc} Increase validation_fraction or the number of samples, "
                "or set early_stopping=False."
            ) from exc
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small; increase validation_fraction "
                "or the number of samples, or set early_stopping=False."
            )
        if sample_weight is None:
            return X, y, targets, None, (X_val, y_val, None)
        return X, y, targets, weights, (X_val, y_val, weights_val)

    def _run_epochs(self, X, y, targets, sample_weight, params, incremental, validation):
        """The epochs of one training call, as MLP's ``_fit_stochastic``; ``validation``:
        the held-out ``(X_val, y_val, w_val)`` of early stopping, or None."""
        rng = self._random_state
        X = network_input(self, X)  # once per call, not once per minibatch and epoch
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        self._check_l2_shrink(n_samples)
        # The paper's persistent particles (kept for this call only).
        settings = training_settings(
            self, batch_size=batch_size, particles=self.persistent_particles and not incremental
        )
        if self.backend == "jax":
            from ._jax.training import JaxEpochs  # an optional extra: imported on use

            runner = JaxEpochs(settings, X, targets, sample_weight, params)
        else:
            runner = NumpyEpochs(settings, X, targets, sample_weight, params)
        reports_errors = self._target_coding().reports_errors
        n_batches = -(-n_samples // batch_size)
        n_epochs = 1 if incremental else self.max_iter
        sample_idx = np.arange(n_samples)
        # With early stopping the best parameters of any call are kept (as MLP's): a warm
        # start that never beats the previous best gives that best back.
        best_params = None
        if self.early_stopping and getattr(self, "_best_params", None) is not None:
            best_params = self._stored_parameters(self._best_params, params)
        epochs_done = 0
        fit_start = time.perf_counter()
        try:
            for epoch in range(n_epochs):
                start = time.perf_counter()
                # fit anneals over its own max_iter epochs; partial_fit continues from n_iter_.
                params.optimizer.set_rates(scheduled_rates(
                    self.learning_rates_, self.learning_rate_schedule,
                    self.n_iter_ if incremental else epoch, self.max_iter,
                ))
                # Every random draw of the epoch comes from the estimator's NumPy random
                # state, in the same order whatever the backend.
                if self.shuffle:
                    rng.shuffle(sample_idx)
                signs = self._draw_signs(n_batches)
                relaxation_counts = {"free": 0, "nudged": 0, "nudged_samples": 0}
                try:
                    loss_sum, errors = runner.run_epoch(sample_idx, signs, relaxation_counts)
                except InputOverflowError:
                    raise ValueError(self._input_overflow_message()) from None
                except TrainingDivergedError:
                    raise ValueError(self._divergence_message()) from None
                if params.diverged():
                    raise ValueError(self._divergence_message())
                self.n_iter_ += 1
                epochs_done += 1
                self.t_ += n_samples
                total_weight = n_samples if sample_weight is None else sample_weight.sum()
                self.loss_ = loss_sum / total_weight
                self.loss_curve_.append(self.loss_)
                if reports_errors:
                    self.train_error_curve_.append(errors / total_weight)
                self._on_epoch_end(params)
                stop, improved = self._update_no_improvement_count(params, validation)
                if improved:
                    best_params = params.copy()
                if self.verbose:
                    now = time.perf_counter()
                    print(epoch_line(self, epoch, now - start, now - fit_start, n_epochs,
                                     incremental), flush=True)
                    if self.verbose >= 2:
                        print(relaxation_line(self, relaxation_counts, n_samples,
                                              settings.n_iter_nudged), flush=True)
                if stop:
                    if self.verbose:
                        print(stop_line(self))
                    break
                if epoch + 1 == self.max_iter and not incremental:
                    warnings.warn(
                        f"EqProp: maximum iterations ({self.max_iter}) reached and the "
                        "optimization hasn't converged yet; increase max_iter.",
                        ConvergenceWarning, stacklevel=2,
                    )
        except KeyboardInterrupt:
            if params.diverged() or epochs_done == 0:
                raise  # _fit gives the previous model (or none) back
            warnings.warn("Training interrupted by user; keeping the model trained so far.", stacklevel=2)
        self._commit(best_params if best_params is not None else params)
        # Copies: the committed arrays are trained in place by the next warm start.
        self._best_params = None if best_params is None else {
            "weights": [W.copy() for W in best_params.weights],
            "biases": [b.copy() for b in best_params.biases],
            "adam": best_params.optimizer.state() if isinstance(best_params.optimizer, Adam)
            else None,
        }

    @staticmethod
    def _stored_parameters(stored, params):
        """``Parameters`` from the plain data of ``_best_params``, with ``params``'s
        optimizer settings."""
        optimizer = params.optimizer.copy()
        if stored["adam"] is not None and isinstance(optimizer, Adam):
            optimizer.load_state(stored["adam"])
        return Parameters(
            [W.copy() for W in stored["weights"]], [b.copy() for b in stored["biases"]],
            optimizer, params.couplings, params.coupling_bound,
        )

    def _draw_signs(self, n_batches):
        """The sign of beta of each minibatch of an epoch: drawn at random for
        ``nudging="random_sign"`` (the paper), else +1."""
        if self.nudging != "random_sign":
            return np.ones(n_batches)
        rng = self._random_state
        return np.array([-1.0 if rng.randint(2) else 1.0 for _ in range(n_batches)])

    def _on_epoch_end(self, params):
        """Called after every epoch with the parameters being trained (for monitoring)."""

    def _input_overflow_message(self):
        if self.input_scaling is None:
            remedy = ("scale the features, e.g. with input_scaling='standard' (which "
                      "standardises them) or a StandardScaler")
        else:
            remedy = ("even standardised, some feature is far out: clip or transform the "
                      "outlying values (e.g. with a QuantileTransformer)")
        return ("X has values too large for the network (its input to the first hidden "
                f"layer overflows); {remedy}.")

    def _nudged_budget(self, beta):
        """The cap and tolerance of each nudged phase at ``beta``.

        ``n_iter_nudged="auto"``: a tolerance relative to beta, ``relax_tol * beta``
        (a sample stops once ``(s_beta - s_0) / beta``, the quantity the update reads,
        has settled to ``relax_tol``), and a cap of ``_NUDGED_SWEEPS_PER_LAYER`` sweeps
        per hidden layer (the nudge reaches one more layer down with every sweep), or
        the free phase's cap with ``relaxation="gradient"``. An integer: that cap, and
        ``relax_tol`` itself.
        """
        if self.n_iter_nudged == "auto":
            tol = None if self.relax_tol is None else self.relax_tol * beta
            if self.relaxation == "gradient":
                return int(self.n_iter_free), tol
            n_hidden = len(self._hidden_sizes())
            return min(_NUDGED_SWEEPS_PER_LAYER * n_hidden, int(self.n_iter_free)), tol
        return int(self.n_iter_nudged), self.relax_tol

    def _divergence_message(self):
        return (
            f"EqProp training diverged: the weights became non-finite or exceeded "
            f"{EXPLODED_WEIGHT:g} in magnitude. Lower learning_rate "
            f"(now {self.learning_rate!r}) or beta (now {getattr(self, 'beta_', self.beta)!r}), "
            "check that epsilon "
            "is at most 1"
            + (", and scale the input features (e.g. input_scaling='standard')"
               if self.input_scaling is None else "")
            + ". The "
            "previously fitted model, if any, is unchanged."
        )

    def _update_no_improvement_count(self, params, validation):
        """Early-stopping bookkeeping, as in MLP. Returns (stop, improved)."""
        improved = False
        if self.early_stopping:
            score = self._validation_score(params, *validation)
            self.validation_scores_.append(score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                improved = True
        else:
            loss = self.loss_curve_[-1]
            if self.best_loss_ is None:  # the previous fit stopped early on validation
                self.best_loss_ = np.inf
            if loss > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if loss < self.best_loss_:
                self.best_loss_ = loss
        return self._no_improvement_count > self.n_iter_no_change, improved

    # ------------------------------------------------------------ predict
    def predict(self, X):
        """Predict from the output units at the free fixed point of each sample.

        Every sample relaxes from zero until it settles (see ``n_iter_predict``).
        A classifier predicts the class of the most active output unit (for
        multilabel data, every label whose unit exceeds 0.5); a regressor maps
        the output units back onto the targets' scale.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted classes (or label indicators), or predicted targets.
        """
        outputs = self._free_outputs(X)  # checks that the estimator is fitted
        return self._target_coding().decode(outputs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _free_outputs(self, X):
        """Output units of the fitted network at its free fixed point (see ``_relax_outputs``)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=self.coefs_[0].dtype)
        return self._relax_outputs(X, self.coefs_, self.intercepts_)

    def _predict_iterations(self):
        """The cap on prediction's relaxation: ``n_iter_predict``, or max(n_iter_free, 100)."""
        if self.n_iter_predict is None:
            return max(int(self.n_iter_free), 100)
        return int(self.n_iter_predict)

    def _relax_outputs(self, X, W, b, warn=True):
        """Output units at the free fixed point reached from zero states, chunk by chunk.

        Every sample relaxes until no unit moves by more than ``relax_tol`` (or
        ``_PREDICT_TOL``) in one iteration, for at most ``_predict_iterations()``
        iterations; a ``ConvergenceWarning`` reports the samples that hit the cap.
        Each sample relaxes on its own (no state is shared between rows), so a
        sample's output never depends on the rest of the batch.
        """
        sizes = [W[0].shape[0]] + [w.shape[1] for w in W]
        settings = training_settings(self)
        # Per row: the input and its drive, the states, and the relaxation's arrays of
        # the free layers (working copy, previous step, constant part, drive, top-down).
        row_bytes = X.dtype.itemsize * (sizes[0] + sizes[1] + 6 * sum(sizes[1:]))
        working_memory = min(get_config()["working_memory"], _PREDICT_WORKING_MEMORY)
        chunk = get_chunk_n_rows(
            row_bytes=row_bytes, max_n_rows=X.shape[0], working_memory=working_memory
        )
        tol = _PREDICT_TOL if self.relax_tol is None else self.relax_tol
        n_iter = self._predict_iterations()
        outputs = np.empty((X.shape[0], sizes[-1]), dtype=X.dtype)
        workspace = Workspace()
        n_unsettled = 0
        for rows in gen_batches(X.shape[0], max(chunk, 1)):
            x = network_input(self, X[rows])
            states = zero_states(x.shape[0], settings.relaxing(W))
            try:
                x_drive = input_drive(x, W[0], workspace, shift=settings.input_shift)
            except InputOverflowError:
                raise ValueError(self._input_overflow_message()) from None
            _, unsettled = free_phase(settings, x_drive, states, W, b, n_iter, tol=tol,
                                      return_unsettled=True)
            n_unsettled += np.count_nonzero(unsettled)
            outputs[rows] = network_outputs(states, W, b, settings.link)
        if n_unsettled and warn:
            warnings.warn(
                f"{n_unsettled} of {X.shape[0]} samples did not settle within "
                f"{n_iter} relaxation iterations (no unit may move by more than {tol:g} "
                "per iteration); their outputs are not at a fixed point. Increase "
                "n_iter_predict"
                + (", or use relaxation='layerwise'." if self.relaxation == "gradient" else "."),
                ConvergenceWarning, stacklevel=2,
            )
        return outputs


def training_settings(estimator, *, beta=None, batch_size=1, particles=False):
    """The :class:`~sk_eqprop._core.training.TrainingSettings` of a fitted (or being
    fitted) EqProp estimator: its dynamics, budgets and nudging, as plain data (the
    couplings and their bound travel with the parameters).

    ``beta`` replaces the fitted ``beta_`` (the nudged phase's tolerance follows it).
    """
    beta = float(estimator.beta_ if beta is None else beta)
    n_iter_nudged, nudged_tol = estimator._nudged_budget(beta)
    return TrainingSettings(
        method=estimator.relaxation,
        epsilon=float(estimator.epsilon),
        link=estimator._link(),
        n_iter_free=int(estimator.n_iter_free),
        tol=estimator.relax_tol,
        n_iter_nudged=n_iter_nudged,
        nudged_tol=nudged_tol,
        beta=beta,
        nudging=estimator.nudging,
        solver=estimator.solver,
        batch_size=batch_size,
        particles=particles,
        coding=estimator._target_coding(),
        input_shift=input_shift(estimator),
    )


def input_shift(estimator):
    """``input_offset_ / input_scale_``: what sparse input, mapped by
    :func:`network_input` without centring, lacks (None without input scaling)."""
    if getattr(estimator, "input_scale_", None) is None:
        return None
    return (estimator.input_offset_ / estimator.input_scale_).astype(estimator.input_scale_.dtype)


def network_input(estimator, x):
    """A batch of features mapped onto the network's input by the fitted input map,
    ``(x - input_offset_) / input_scale_``: a new array (``x`` itself with
    ``input_scaling=None``); ``x`` is never modified. Sparse ``x`` stays sparse and
    is only divided by the scale: :func:`input_shift` is subtracted in the first
    layer's drive and update instead (``TrainingSettings.input_shift``)."""
    if getattr(estimator, "input_scale_", None) is None:
        return x
    if sp.issparse(x):
        return sp.csr_matrix(x.multiply(1.0 / estimator.input_scale_), dtype=x.dtype)
    x = x - estimator.input_offset_
    x /= estimator.input_scale_
    return x
