"""One EqProp training step and the epochs of a training call, on NumPy arrays.

A backend trains from a :class:`TrainingSettings` (a plain, immutable description
of the network's dynamics and of the training call, built by the estimator) and a
:class:`Parameters` (the arrays being trained, and their optimizer). Each
minibatch is the paper's Section 3: the free phase, the weakly clamped phase(s),
the EqProp estimate (:func:`~sk_eqprop._core.update.eqprop_direction`) and one
optimizer step along it, then the projection of the couplings onto their bound.
:class:`NumpyEpochs` runs them here; ``sk_eqprop._jax.training.JaxEpochs`` runs
the same step compiled by JAX, from the same settings. The estimator keeps
validation, bookkeeping and the commit of the parameters.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np
import scipy.sparse as sp

from .coupling import bound_couplings
from .energy import cost
from .layout import zero_states
from .phases import nudged_phases
from .readout import readout_loss, readout_outputs
from .relaxation import relax
from .update import eqprop_direction
from .workspace import Workspace, take

# States live in [0, 1], so a weight far beyond this saturates its unit whatever the
# input: such weights only come from a learning rate, beta or input scale that is far
# too large, and training with them produces garbage before it overflows.
EXPLODED_WEIGHT = 1e6


class InputOverflowError(ValueError):
    """The input's drive of the first hidden layer, ``x @ W_0``, is not finite."""


class TrainingDivergedError(ValueError):
    """The parameters became non-finite or exceeded ``EXPLODED_WEIGHT``."""


@dataclass(frozen=True)
class TrainingSettings:
    """What a backend needs to train, besides the data and the parameters.

    ``link`` is the readout's link (``"softmax"``, ``"logistic"``,
    ``"identity"``), or None for the paper's output layer in the energy; the
    relaxing layers are then all of them, else all but the readout. ``tol`` and
    ``nudged_tol`` stop a sample once no unit moved by more than them in one
    iteration (None: the fixed counts ``n_iter_free``, ``n_iter_nudged``).
    ``coding`` is the estimator's target coding; its ``errors(outputs, target)``
    counts each sample's errors at the free fixed point (zeros for a regressor).
    """

    method: str  # "gradient" or "layerwise" (the relaxation)
    epsilon: float
    link: Optional[str]
    n_iter_free: int
    tol: Optional[float]
    n_iter_nudged: int
    nudged_tol: Optional[float]
    beta: float
    nudging: str  # "random_sign", "positive" or "symmetric"
    solver: str  # "adam" or "sgd"
    batch_size: int
    particles: bool  # free phases start from persistent particles
    coding: object = None
    # Sparse input arrives divided by its scale but not centred: ``input_shift``
    # (offset / scale) is subtracted from every row in the drive and the update.
    input_shift: Optional[np.ndarray] = None

    def relaxing(self, parameters):
        """The parameters of the layers that relax: all but the readout's, if any."""
        return parameters[:-1] if self.link is not None else parameters

    def readout(self, weights, biases):
        """The readout ``(weight, bias, link)`` as ``relax`` takes it, or None."""
        return None if self.link is None else (weights[-1], biases[-1], self.link)


class Parameters:
    """Weights and biases being trained, with their optimizer (rates, schedule
    position, penalty, Adam's moments) and the couplings' bound."""

    def __init__(self, weights, biases, optimizer, couplings=(), coupling_bound=None):
        self.weights = weights
        self.biases = biases
        self.optimizer = optimizer
        self.couplings = tuple(couplings) if coupling_bound is not None else ()
        self.coupling_bound = coupling_bound

    def copy(self):
        return Parameters(
            [W.copy() for W in self.weights],
            [b.copy() for b in self.biases],
            self.optimizer.copy(),
            self.couplings,
            self.coupling_bound,
        )

    def bound_couplings(self):
        """Project the couplings onto ``coupling_bound`` (see :mod:`.coupling`)."""
        if self.couplings:
            bound_couplings(self.weights, self.couplings, self.coupling_bound)

    def diverged(self):
        """Whether any parameter is non-finite or has exploded beyond ``EXPLODED_WEIGHT``."""
        return not all(np.abs(p).max() < EXPLODED_WEIGHT for p in self.weights + self.biases)


def input_drive(x, W0, workspace=None, shift=None):
    """``x @ W_0``, constant during relaxation: computed once per batch, checked finite
    (:class:`InputOverflowError` otherwise). Sparse ``x`` is centred here, by ``shift``:
    ``(x - shift) W_0 = x W_0 - shift W_0``, so that it stays sparse."""
    with np.errstate(over="ignore", invalid="ignore"):
        if sp.issparse(x):
            x_drive = np.asarray(x @ W0)
            if shift is not None:
                x_drive -= shift @ W0
        else:
            out = take(workspace, "batch.x_drive", (x.shape[0], W0.shape[1]), W0.dtype)
            x_drive = np.matmul(x, W0, out=out)
    if not np.isfinite(x_drive).all():
        raise InputOverflowError("The input's drive of the first hidden layer overflows.")
    return x_drive


def network_outputs(states, weights, biases, link):
    """The output units of relaxed ``states``: the readout's, or the last layer's."""
    if link is None:
        return states[:, -weights[-1].shape[1]:]
    h_last = states[:, states.shape[1] - weights[-1].shape[0]:]
    return readout_outputs(h_last, weights[-1], biases[-1], link)


def free_phase(settings, x_drive, states, weights, biases, n_iter, *, tol, workspace=None,
               return_unsettled=False):
    """Relax the free phase (beta = 0) of ``states`` in place (``weights`` and
    ``biases`` are the whole network's); returns ``relax``'s step counts."""
    return relax(
        x_drive, states, settings.relaxing(weights), settings.relaxing(biases), n_iter,
        method=settings.method, epsilon=settings.epsilon, tol=tol,
        readout=settings.readout(weights, biases), workspace=workspace,
        return_unsettled=return_unsettled,
    )


def sample_costs(settings, outputs, target):
    """The cost of each sample at the free fixed point: the readout's loss, or C."""
    if settings.link is None:
        return cost(outputs, target)
    return readout_loss(outputs, target, settings.link)


def train_batch(settings, params, x, target, batch_weight, directions, *, start=None,
                relaxation_counts=None, sign=1.0, workspace=None):
    """One minibatch: free phase, nudged phase(s), EqProp estimate, optimizer step
    (paper, Section 3); ``params`` is trained in place.

    ``start``: the free phase's initial states (the persistent particles of the
    batch, a C-contiguous array; zero if None), relaxed in place to its fixed point. ``sign`` is the sign
    of beta of a single nudged phase (``nudging="random_sign"``). ``directions``:
    arrays shaped like the parameters, the estimate's scratch space. Returns the
    batch's (weighted) summed cost and errors at the free fixed point, and adds
    its samples' relaxation steps to ``relaxation_counts``.
    """
    W, b = params.weights, params.biases
    x_drive = input_drive(x, W[0], workspace, shift=settings.input_shift)
    if start is None:
        n_units = sum(w.shape[1] for w in settings.relaxing(W))
        states = take(workspace, "batch.free", (x.shape[0], n_units), W[0].dtype)
        states.fill(0.0)
    else:
        states = start
    # Free phase (beta = 0), from zero states or the persistent particles.
    free_steps = free_phase(settings, x_drive, states, W, b, settings.n_iter_free,
                            tol=settings.tol, workspace=workspace)
    outputs = network_outputs(states, W, b, settings.link)
    costs = sample_costs(settings, outputs, target)
    errors = settings.coding.errors(outputs, target)
    if batch_weight is not None:
        costs, errors = costs * batch_weight, errors * batch_weight

    # Weakly clamped phase(s), from the free fixed point.
    reference, nudged, effective_beta, nudged_steps = nudged_phases(
        x_drive, states, settings.relaxing(W), settings.relaxing(b), settings.n_iter_nudged,
        beta=settings.beta, target=target, nudging=settings.nudging, sign=sign,
        method=settings.method, epsilon=settings.epsilon, tol=settings.nudged_tol,
        readout=settings.readout(W, b), workspace=workspace,
    )
    if relaxation_counts is not None:
        relaxation_counts["free"] += free_steps.sum()
        relaxation_counts["nudged"] += nudged_steps.sum()
        relaxation_counts["nudged_samples"] += nudged_steps.shape[0]

    # The EqProp estimate (Eq. 10 and 13; the readout's exact gradient), then the step.
    h_last = states[:, states.shape[1] - W[-1].shape[0]:]
    eqprop_direction(
        x, reference, nudged, effective_beta, W, directions,
        readout=None if settings.link is None else (h_last, outputs, target, settings.link),
        sample_weight=batch_weight, input_shift=settings.input_shift,
    )
    params.optimizer.update_params(W + b, directions, x.shape[0])
    params.bound_couplings()
    return float(costs.sum()), float(errors.sum())


class NumpyEpochs:
    """Epochs of one training call on the NumPy backend.

    Parameters
    ----------
    settings : TrainingSettings
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        The network's input (already mapped by the estimator's input scaling).
    targets : ndarray of shape (n_samples, n_outputs)
        The output targets ``d``.
    sample_weight : ndarray of shape (n_samples,) or None
    params : Parameters
        Trained in place.
    """

    def __init__(self, settings, X, targets, sample_weight, params):
        self.settings = settings
        self.X, self.targets, self.sample_weight = X, targets, sample_weight
        self.params = params
        # The paper's persistent particles: each training example's last free fixed
        # point, the start of its next free phase. Kept for this call only.
        self.particles = zero_states(X.shape[0], settings.relaxing(params.weights)) \
            if settings.particles else None
        self.directions = [np.empty_like(p) for p in params.weights + params.biases]
        self.workspace = Workspace()  # batch-sized scratch arrays, reused across minibatches

    def run_epoch(self, order, signs, relaxation_counts):
        """Train one epoch of minibatches of the samples in ``order``, the sign of beta
        of minibatch ``i`` being ``signs[i]``; returns the (weighted) summed cost and
        errors at the free fixed points."""
        X, targets, sample_weight = self.X, self.targets, self.sample_weight
        loss_sum, errors = 0.0, 0.0
        batch_size = self.settings.batch_size
        for first, sign in zip(range(0, X.shape[0], batch_size), signs):
            idx = order[first:first + batch_size]
            start = None if self.particles is None else self.particles[idx]
            loss, err = self.train_batch(
                X[idx], targets[idx], None if sample_weight is None else sample_weight[idx],
                start=start, sign=sign, relaxation_counts=relaxation_counts,
            )
            if start is not None:
                self.particles[idx] = start
            loss_sum += loss
            errors += err
        return loss_sum, errors

    def train_batch(self, x, target, batch_weight, **kwargs):
        """:func:`train_batch` on this call's parameters and buffers."""
        return train_batch(self.settings, self.params, x, target, batch_weight,
                           self.directions, workspace=self.workspace, **kwargs)
