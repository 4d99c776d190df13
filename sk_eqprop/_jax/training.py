"""EqProp training compiled by JAX: a chunk of minibatches in one call.

:func:`train_chunk` scans :func:`_train_batch` (free phase, nudged phase(s),
update: the paper's Section 3, as :func:`sk_eqprop._core.training.train_batch`
does it in NumPy) over a chunk of minibatches. Its static configuration holds only what
changes the traced program (dynamics, nudging, readout, solver, iteration
counts, particles); beta, epsilon, the tolerance, the learning rates and the
penalty are arguments, so a grid search over them reuses one compiled function
for every candidate of the same shapes.

:class:`JaxEpochs` feeds it from the estimator's fit loop, from the same
:class:`~sk_eqprop._core.training.TrainingSettings` as the NumPy backend: the
random draws (shuffled order, the sign of beta) come from the estimator's NumPy
random state, the parameters live on the device during a training call and are
copied back into the host's arrays after every chunk, so that the estimator's
bookkeeping (divergence, early stopping, interruption, warm starts) is the NumPy
path's. The data's rows are padded to a power of two and each chunk's minibatches
rounded up (to a power of two or a multiple of 64), so the compiled function's
shapes depend on the network, the minibatch size and those rounded lengths, not
on the exact number of samples: the folds of a cross-validation and ``partial_fit``
calls of similar sizes reuse one compiled function.
"""

import math
from functools import partial
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from .. import _core
from .._core import training as core_training
from .._core.layout import split_states
from . import import_jax

jax = import_jax()
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

from .dynamics import Readout, make_step, readout_outputs, relax  # noqa: E402

# A chunk is at most this many sample-iterations of relaxation (rows times free plus
# nudged iterations): about a second of work on a laptop's CPU, so that progress lines
# and Ctrl-C stay responsive, and enough minibatches to amortise the call.
CHUNK_WORK = 2**20


class Config(NamedTuple):
    """What the traced program depends on besides shapes and dtypes (a static argument)."""

    method: str  # "gradient" or "layerwise"
    link: object  # the readout's link, or None for the paper's energy output
    nudging: str  # "random_sign", "positive" or "symmetric"
    solver: str  # "sgd" or "adam"
    n_iter_free: int
    n_iter_nudged: int
    has_tol: bool
    particles: bool
    couplings: tuple  # indices of the weights whose spectral norm is bounded


class Hyper(NamedTuple):
    """Scalars and rates read by the traced program (arguments: changing them does not
    recompile)."""

    beta: object
    epsilon: object
    tol: object
    nudged_tol: object
    alpha: object
    rates: object  # one per weight layer
    adam: tuple  # Adam's beta_1, beta_2, epsilon (the host optimizer's); unused by SGD
    coupling_bound: object  # unused without couplings
    n_samples: object  # the training rows; rows of the padded data beyond them are empty


class Carry(NamedTuple):
    """Everything a minibatch changes."""

    weights: tuple
    biases: tuple
    first_moments: tuple  # Adam's; empty for SGD
    second_moments: tuple
    t: object  # Adam's step count
    particles: object  # (n_samples, n_free_units), or None


def _contrastive_directions(x, reference, nudged, beta, weight, n):
    """The EqProp estimate of ``-dC/dW_k``, ``-dC/db_k`` (paper, Eq. 10 and 13), as
    :func:`sk_eqprop._core.update.contrastive_direction`: the batch mean over ``n``
    samples of ``(1/beta) [rho(s_k^b)^T rho(s_{k+1}^b) - rho(s_k^0)^T rho(s_{k+1}^0)]``,
    sample ``i`` weighted by ``weight[i]``."""
    scale = (1.0 / (beta * n)) * weight[:, None]
    weight_dirs, bias_dirs = [], []
    for k in range(len(nudged)):
        delta = (nudged[k] - reference[k]) * scale
        bias_dirs.append(delta.sum(axis=0))
        if k == 0:  # the clamped input is the same in both phases
            weight_dirs.append(x.T @ delta)
        else:
            below = jnp.concatenate([nudged[k - 1], reference[k - 1]])
            above = jnp.concatenate([nudged[k] * scale, -(reference[k] * scale)])
            weight_dirs.append(below.T @ above)
    return weight_dirs, bias_dirs


def _readout_directions(h_last, outputs, target, weight, n, link):
    """``-dL/dW_out``, ``-dL/db_out``: the exact, local gradient of the readout's loss."""
    delta = (target - outputs) * weight[:, None] / n
    delta = delta * _core.readout.loss_scale(link, target.shape[1])
    return h_last.T @ delta, delta.sum(axis=0)


def _sgd(carry, directions, hyper, n):
    """Plain steps after the L2 shrink of the weights (:class:`sk_eqprop._core.SGD`)."""
    n_weights = len(carry.weights)
    params = carry.weights + carry.biases
    new = []
    for k, (p, g) in enumerate(zip(params, directions)):
        rate = hyper.rates[k % n_weights]
        if k < n_weights:
            p = p * (1.0 - rate * hyper.alpha / n)
        new.append(p + g * rate)
    return carry._replace(weights=tuple(new[:n_weights]), biases=tuple(new[n_weights:]))


def _adam(carry, directions, hyper, n):
    """Adam steps along the EqProp estimate (:class:`sk_eqprop._core.Adam`)."""
    n_weights = len(carry.weights)
    params = carry.weights + carry.biases
    b1, b2, eps = hyper.adam
    t = carry.t + 1
    dtype = params[0].dtype
    tf = t.astype(dtype)
    correction = jnp.sqrt(1.0 - b2**tf) / (1.0 - b1**tf)
    new, firsts, seconds = [], [], []
    for k, (p, g, m, v) in enumerate(zip(params, directions, carry.first_moments,
                                         carry.second_moments)):
        rate = hyper.rates[k % n_weights]
        g = -g  # the ascent direction -dL/dp, made the gradient
        if k < n_weights:
            g = g + p * (hyper.alpha / n)
        m = m * b1 + g * (1.0 - b1)
        v = v * b2 + (g * g) * (1.0 - b2)
        new.append(p - m / (jnp.sqrt(v) + eps) * (rate * correction))
        firsts.append(m)
        seconds.append(v)
    return carry._replace(weights=tuple(new[:n_weights]), biases=tuple(new[n_weights:]),
                          first_moments=tuple(firsts), second_moments=tuple(seconds), t=t)


def _bound_couplings(cfg, hyper, carry):
    """Project the couplings onto the bound, as
    :func:`sk_eqprop._core.coupling.project_onto_bound` (the same eigendecomposition of
    the smaller Gram matrix)."""
    if not cfg.couplings:
        return carry
    weights, bound = list(carry.weights), hyper.coupling_bound
    for k in cfg.couplings:
        W = weights[k]
        tall = W if W.shape[0] >= W.shape[1] else W.T
        eigenvalues, vectors = jnp.linalg.eigh(tall.T @ tall)
        excess = eigenvalues > bound * bound
        shrink = jnp.where(excess, 1.0 - bound / jnp.sqrt(jnp.where(excess, eigenvalues, 1.0)),
                           0.0)
        tall = tall - ((tall @ vectors) * shrink) @ vectors.T
        weights[k] = tall if W.shape[0] >= W.shape[1] else tall.T
    return carry._replace(weights=tuple(weights))


def _train_batch(cfg, hyper, data, carry, batch, x, x_drive):
    """One minibatch: free phase, nudged phase(s), update. Rows whose index is out of
    range pad the batch: they weigh nothing and are not counted. ``x`` is the batch's
    input, ``x_drive = x @ W_0`` its drive (constant during relaxation)."""
    _, targets, sample_weight = data
    _, idx, sign = batch
    valid = idx < hyper.n_samples
    dtype = carry.weights[0].dtype
    n = valid.sum().astype(dtype)
    target = jnp.take(targets, idx, axis=0, mode="fill", fill_value=0)
    weight = jnp.take(sample_weight, idx, axis=0, mode="fill", fill_value=0)

    W, b = carry.weights, carry.biases
    readout = None if cfg.link is None else Readout(W[-1], b[-1], cfg.link)
    relaxing_W, relaxing_b = (W, b) if readout is None else (W[:-1], b[:-1])
    tol = hyper.tol if cfg.has_tol else None
    nudged_tol = hyper.nudged_tol if cfg.has_tol else None
    one_layer = cfg.method == "layerwise" and len(relaxing_W) == 1

    # Free phase (beta = 0), from zero states or the persistent particles.
    if cfg.particles:
        start = tuple(split_states(
            jnp.take(carry.particles, idx, axis=0, mode="fill", fill_value=0), relaxing_W))
    else:
        start = tuple(jnp.zeros((x.shape[0], w.shape[1]), dtype) for w in relaxing_W)
    free_step = make_step(cfg.method, x_drive, relaxing_W, relaxing_b, hyper.epsilon)
    free, free_steps = relax(free_step, start, cfg.n_iter_free, tol, single_sweep=one_layer,
                             active=valid)
    particles = carry.particles
    if cfg.particles:
        # The indices are unique (padding slots hold distinct out-of-range ones), which
        # lets XLA's CPU scatter skip its serialising pass.
        particles = particles.at[idx].set(jnp.concatenate(free, axis=1), mode="drop",
                                          unique_indices=True)
    outputs = free[-1] if readout is None else readout_outputs(free[-1], readout)

    # Weakly clamped phase(s), from the free fixed point: never a single sweep (a
    # readout's nudge depends on the layer it nudges; an output in the energy is a
    # second free layer).
    if cfg.nudging == "symmetric":
        # The +beta and -beta phases as one batch of 2n rows.
        m = x.shape[0]
        betas = jnp.concatenate([jnp.full((m, 1), hyper.beta, dtype),
                                 jnp.full((m, 1), -hyper.beta, dtype)])
        step = make_step(cfg.method, jnp.concatenate([x_drive, x_drive]), relaxing_W, relaxing_b,
                         hyper.epsilon, beta=betas, target=jnp.concatenate([target, target]),
                         readout=readout, nudged=True)
        both, nudged_steps = relax(step, tuple(jnp.concatenate([s, s]) for s in free),
                                   cfg.n_iter_nudged, nudged_tol,
                                   active=jnp.concatenate([valid, valid]))
        nudged, reference = tuple(s[:m] for s in both), tuple(s[m:] for s in both)
        effective_beta = 2.0 * hyper.beta
        nudged_valid = jnp.concatenate([valid, valid])
    else:
        effective_beta = hyper.beta if cfg.nudging == "positive" else sign * hyper.beta
        step = make_step(cfg.method, x_drive, relaxing_W, relaxing_b, hyper.epsilon,
                         beta=effective_beta, target=target, readout=readout, nudged=True)
        nudged, nudged_steps = relax(step, free, cfg.n_iter_nudged, nudged_tol, active=valid)
        reference = free
        nudged_valid = valid

    # The update: the contrastive term of every relaxing layer, and the readout's gradient.
    weight_dirs, bias_dirs = _contrastive_directions(x, reference, nudged, effective_beta,
                                                     weight, n)
    if readout is not None:
        w_out, b_out = _readout_directions(free[-1], outputs, target, weight, n, cfg.link)
        weight_dirs.append(w_out)
        bias_dirs.append(b_out)
    update = _adam if cfg.solver == "adam" else _sgd
    carry = update(carry, weight_dirs + bias_dirs, hyper, n)._replace(particles=particles)
    carry = _bound_couplings(cfg, hyper, carry)
    counts = jnp.stack([jnp.where(valid, free_steps, 0).sum(),
                        jnp.where(nudged_valid, nudged_steps, 0).sum()]).astype(jnp.int32)
    return carry, (outputs, counts)


def _skip_batch(cfg, hyper, data, carry, batch, x, x_drive):
    """A minibatch that changes nothing: padding at the end of a chunk, or one whose
    input's drive overflows (the caller reports it)."""
    dtype = carry.weights[0].dtype
    n_outputs = carry.weights[-1].shape[1]
    return carry, (jnp.zeros((x.shape[0], n_outputs), dtype), jnp.zeros(2, jnp.int32))


@partial(jax.jit, static_argnums=0)
def train_chunk(cfg, hyper, data, carry, batches):
    """Train on the minibatches ``batches = (rows, idx, signs)`` (one row each) in order.

    Returns the new carry and, per minibatch, the outputs at the free fixed point,
    the steps taken (free, nudged) and whether the input's drive was finite (a
    minibatch whose drive overflows is skipped, so that the carry holds the
    parameters it met: the caller tells a diverged network from an input too large).
    """
    X = data[0]

    def body(carry, batch):
        x = jnp.take(X, batch[0], axis=0, mode="fill", fill_value=0)
        x_drive = x @ carry.weights[0]
        finite = jnp.isfinite(x_drive).all()
        nonempty = batch[1][0] < hyper.n_samples  # padding fills whole minibatches at the end
        carry, (outputs, counts) = lax.cond(
            nonempty & finite, partial(_train_batch, cfg, hyper, data),
            partial(_skip_batch, cfg, hyper, data), carry, batch, x, x_drive)
        return carry, (outputs, counts, finite)

    return lax.scan(body, carry, batches)


def compute_dtype(dtype):
    """The dtype the device computes in: float64 only with JAX's x64 mode on."""
    if dtype == np.float64 and not jax.config.jax_enable_x64:
        return np.dtype(np.float32)
    return np.dtype(dtype)


def _padded_length(n):
    """``n`` rounded up to a power of two: the data's rows on the device, so that
    data sets of about the same size share one compiled function."""
    return 1 << max(int(n) - 1, 0).bit_length()


def _chunk_length(n_batches, max_batches):
    """Minibatches per chunk: about equal chunks of at most ``max_batches``, rounded
    up (to a power of two up to 64, else to a multiple of 64) so that nearby numbers
    of minibatches share one compiled function; a padding minibatch costs only its
    input's drive."""
    n_chunks = math.ceil(n_batches / max_batches)
    length = math.ceil(n_batches / n_chunks)
    return _padded_length(length) if length <= 64 else 64 * math.ceil(length / 64)


class JaxEpochs:
    """Epochs of one training call on the JAX backend (see the module docstring).

    Parameters
    ----------
    settings : TrainingSettings
        The network's dynamics and the training call's settings (as for the NumPy
        backend's :class:`~sk_eqprop._core.training.NumpyEpochs`).
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        The network's input (already scaled). Dense input moves to the device once;
        sparse input is densified chunk by chunk.
    targets, sample_weight, params
        As for ``NumpyEpochs``; ``params`` is trained in place (its host arrays are
        refreshed after every chunk).
    """

    def __init__(self, settings, X, targets, sample_weight, params):
        self.settings = settings
        self.params = params
        self.host_dtype = params.weights[0].dtype
        self.dtype = compute_dtype(self.host_dtype)
        n_samples = X.shape[0]
        self.n_samples = n_samples
        n_padded = _padded_length(n_samples)
        self.n_padded = n_padded
        self.sparse = sp.issparse(X)
        self.X_host = X
        self.targets_host = targets
        self.sample_weight_host = sample_weight

        def padded(a):
            out = np.zeros((n_padded, *a.shape[1:]), dtype=self.dtype)
            with np.errstate(over="ignore"):  # an overflow to float32 is reported as such
                out[:n_samples] = a
            return jnp.asarray(out)

        self.X = None if self.sparse else padded(np.asarray(X))
        weights = np.ones(n_samples) if sample_weight is None else sample_weight
        self.data_rest = (padded(targets), padded(weights))
        self.cfg = Config(
            method=settings.method, link=settings.link, nudging=settings.nudging,
            solver=settings.solver, n_iter_free=settings.n_iter_free,
            n_iter_nudged=settings.n_iter_nudged, has_tol=settings.tol is not None,
            particles=settings.particles, couplings=tuple(params.couplings),
        )
        optimizer = params.optimizer
        adam = self.cfg.solver == "adam"
        n_units = sum(W.shape[1] for W in settings.relaxing(params.weights))
        self.carry = Carry(
            weights=tuple(jnp.asarray(W, self.dtype) for W in params.weights),
            biases=tuple(jnp.asarray(b, self.dtype) for b in params.biases),
            first_moments=tuple(jnp.asarray(m, self.dtype) for m in optimizer.first_moments)
            if adam else (),
            second_moments=tuple(jnp.asarray(v, self.dtype) for v in optimizer.second_moments)
            if adam else (),
            t=jnp.int32(optimizer.t if adam else 0),
            particles=jnp.zeros((n_padded, n_units), self.dtype) if settings.particles
            else None,
        )
        self.batch_size = settings.batch_size
        n_batches = math.ceil(n_samples / self.batch_size)
        iterations = self.cfg.n_iter_free + self.cfg.n_iter_nudged * (
            2 if self.cfg.nudging == "symmetric" else 1)
        max_batches = max(1, CHUNK_WORK // (self.batch_size * iterations))
        self.chunk_batches = _chunk_length(n_batches, max_batches)

    def _hyper(self):
        settings, dtype = self.settings, self.dtype
        scalar = partial(jnp.asarray, dtype=dtype)
        bound = self.params.coupling_bound
        optimizer = self.params.optimizer
        adam = ((optimizer.beta_1, optimizer.beta_2, optimizer.epsilon)
                if self.cfg.solver == "adam" else (0.0, 0.0, 0.0))
        return Hyper(beta=scalar(settings.beta), epsilon=scalar(settings.epsilon),
                     tol=scalar(0.0 if settings.tol is None else settings.tol),
                     nudged_tol=scalar(0.0 if settings.nudged_tol is None
                                       else settings.nudged_tol),
                     alpha=scalar(optimizer.alpha), rates=jnp.asarray(optimizer.rates, dtype),
                     adam=tuple(scalar(c) for c in adam),
                     coupling_bound=scalar(0.0 if bound is None else bound),
                     n_samples=jnp.int32(self.n_samples))

    def run_epoch(self, order, signs, relaxation_counts):
        """Train one epoch on the samples in ``order`` (one sign of beta per minibatch);
        returns the (weighted) summed cost and errors at the free fixed points."""
        n_samples = order.shape[0]
        bs, per_chunk = self.batch_size, self.chunk_batches
        n_batches = math.ceil(n_samples / bs)
        hyper = self._hyper()
        loss_sum, errors = 0.0, 0.0
        try:
            for first in range(0, n_batches, per_chunk):
                # The chunk's sample indices; the empty slots of the padding hold distinct
                # indices past the padded data (>= n_samples: no sample).
                idx = np.arange(per_chunk * bs, dtype=np.int32) + self.n_padded
                chunk = order[first * bs:(first + per_chunk) * bs]
                idx[:chunk.shape[0]] = chunk
                idx = idx.reshape(per_chunk, bs)
                chunk_signs = np.ones(per_chunk, dtype=self.dtype)
                chunk_signs[:len(signs[first:first + per_chunk])] = signs[first:first + per_chunk]
                if self.sparse:  # the chunk's rows, densified (padding rows stay zero)
                    x_source = np.zeros((per_chunk * bs, self.X_host.shape[1]), self.dtype)
                    x_source[:chunk.shape[0]] = self.X_host[chunk].toarray()
                    if self.settings.input_shift is not None:  # centred, as dense input
                        x_source[:chunk.shape[0]] -= self.settings.input_shift
                    rows = np.arange(per_chunk * bs, dtype=np.int32).reshape(per_chunk, bs)
                else:
                    x_source, rows = self.X, idx
                carry, (outputs, counts, finite) = train_chunk(
                    self.cfg, hyper, (x_source, *self.data_rest), self.carry,
                    (rows, idx, chunk_signs),
                )
                outputs, counts, finite = (np.asarray(a) for a in (outputs, counts, finite))
                self.carry = carry
                if not finite.all():
                    # The skipped minibatch met either diverged parameters or an input
                    # too large for sane ones.
                    self.copy_to_host()
                    if self.params.diverged():
                        raise core_training.TrainingDivergedError("EqProp training diverged.")
                    raise core_training.InputOverflowError(
                        "The input's drive of the first hidden layer overflows.")
                loss, err = self._batch_costs(outputs, idx)
                for batch_loss, batch_errors in zip(loss, err):
                    loss_sum += float(batch_loss)
                    errors += float(batch_errors)
                n_valid = (idx < n_samples).sum(axis=1)
                relaxation_counts["free"] += int(counts[:, 0].sum())
                relaxation_counts["nudged"] += int(counts[:, 1].sum())
                relaxation_counts["nudged_samples"] += int(n_valid.sum()) * (
                    2 if self.cfg.nudging == "symmetric" else 1)
        finally:
            self.copy_to_host()
        return loss_sum, errors

    def _batch_costs(self, outputs, idx):
        """Per minibatch: the summed (weighted) cost and errors at the free fixed points,
        computed on the host by the NumPy path's functions."""
        n_samples = self.targets_host.shape[0]
        valid = idx.ravel() < n_samples
        positions = idx.ravel()[valid]
        outputs = outputs.reshape(-1, outputs.shape[-1])[valid].astype(self.host_dtype)
        target = self.targets_host[positions]
        costs = core_training.sample_costs(self.settings, outputs, target)
        errors = self.settings.coding.errors(outputs, target)
        if self.sample_weight_host is not None:
            w = self.sample_weight_host[positions]
            costs, errors = costs * w, errors * w
        per_batch = np.zeros((2, idx.size), dtype=costs.dtype)
        per_batch[0, valid], per_batch[1, valid] = costs, errors
        per_batch = per_batch.reshape(2, *idx.shape).sum(axis=2)
        return per_batch[0], per_batch[1]

    def copy_to_host(self):
        """Write the device's parameters (and Adam's moments) into the host's arrays."""
        carry, params = self.carry, self.params
        for host, device in zip(params.weights + params.biases, carry.weights + carry.biases):
            host[...] = np.asarray(device)
        if self.cfg.solver == "adam":
            optimizer = params.optimizer
            for host, device in zip(optimizer.first_moments + optimizer.second_moments,
                                    carry.first_moments + carry.second_moments):
                host[...] = np.asarray(device)
            optimizer.t = int(carry.t)
