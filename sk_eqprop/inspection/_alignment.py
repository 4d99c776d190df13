"""How closely the EqProp update follows the true gradient of the cost."""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_consistent_length, check_is_fitted, validate_data

from .._base import network_input, training_settings
from .._core import (
    contrastive_gradient,
    layer_drives,
    nudged_phases,
    readout_outputs,
    relax,
    split_states,
    zero_states,
)
from .._core.layout import layer_slices
from .._core.readout import loss_scale

# With n_iter=None a sample stops relaxing once no unit moves by more than _SETTLED in
# one step, after at most max(_MAX_ITER, 100 * n_iter_free) steps.
_SETTLED = 1e-12
_MAX_ITER = 10_000

# Dense per-sample solves of the implicit-function theorem use about this many bytes.
_SOLVE_BYTES = 2**27


def _unwrap(estimator, X=None):
    """The EqProp estimator and its input: the last step of a pipeline, X transformed."""
    if isinstance(estimator, Pipeline):
        check_is_fitted(estimator)
        if X is not None:
            X = estimator[:-1].transform(X)
        estimator = estimator[-1]
    check_is_fitted(estimator, ["coefs_", "intercepts_"])
    return estimator, X


def _network_inputs(estimator, X, y=None):
    """Validated float64 input, float64 copies of the parameters, the output target ``d``
    and the readout.

    ``weights`` and ``biases`` are those of the relaxing layers; ``readout`` is
    ``(weight, bias, link)`` for a readout outside the energy (``output="readout"``),
    else None. Nothing is written onto ``estimator``: the targets go through its own
    encoding (the one-hot code of ``classes_``, a multilabel indicator matrix,
    or the regressor's map onto the output units).
    """
    X = validate_data(estimator, X, reset=False, dtype=np.float64, accept_sparse="csr")
    if sp.issparse(X):
        X = X.toarray()  # inspection runs on a few samples: dense is simplest
    X = network_input(estimator, X)
    weights = [np.array(W, dtype=np.float64) for W in estimator.coefs_]
    biases = [np.array(b, dtype=np.float64) for b in estimator.intercepts_]
    target = None
    if y is not None:
        y = np.asarray(y)
        check_consistent_length(X, y)
        if is_classifier(estimator) and (y.ndim == 1 or y.shape[1] == 1):
            y = y.ravel()
            unseen = np.setdiff1d(y, estimator.classes_)
            if unseen.size:
                raise ValueError(
                    f"y contains classes {unseen.tolist()!r} that the estimator was not "
                    f"fitted on; its classes are {estimator.classes_.tolist()!r}."
                )
        target = training_settings(estimator).coding.encode(y, np.float64)
        target = np.asarray(target, dtype=np.float64)
    readout = None
    if estimator.output == "readout":
        readout = (weights[-1], biases[-1], training_settings(estimator).link)
        weights, biases = weights[:-1], biases[:-1]
    return X, weights, biases, target, readout


def _readout_cost_gradient(h_last, target, readout):
    """``dL/dh`` at the last hidden layer and the readout's own gradients (exact)."""
    weight, bias, link = readout
    delta = readout_outputs(h_last, weight, bias, link) - target  # dL/dz, canonical losses
    delta *= loss_scale(link, target.shape[1])
    n = h_last.shape[0]
    return delta @ weight.T, h_last.T @ delta / n, delta.mean(axis=0)


def _coupling_matrix(weights):
    """Symmetric couplings ``A`` of the free units: ``E = 1/2 s^T (I - A) s`` + linear terms."""
    slices = layer_slices(weights)
    n_free = slices[-1].stop
    coupling = np.zeros((n_free, n_free))
    for k in range(1, len(weights)):
        coupling[slices[k - 1], slices[k]] = weights[k]
        coupling[slices[k], slices[k - 1]] = weights[k].T
    return coupling


def _implicit_gradient(x, states, target, weights, readout=None):
    """Gradient of the mean cost at the free fixed point, by the implicit-function theorem.

    At a fixed point ``s* = clip(drive(s*), 0, 1)`` a unit strictly inside
    (0, 1) satisfies ``s_i = drive_i(s)`` and a saturated unit does not move
    under a small change of the parameters. With ``I`` the interior units and
    ``H = 1 - A_II`` the Hessian of the energy restricted to them,
    ``ds_I / dtheta = H^{-1} d(drive_I) / dtheta``, hence
    ``dC/dtheta = lambda^T d(drive)/dtheta`` with ``lambda = H^{-1} dC/ds_I``
    (``H`` is symmetric). The drive of layer ``k + 1`` holds ``rho(s_k) W_k``
    and that of layer ``k`` holds ``rho(s_{k+1}) W_k^T``, so
    ``dC/dW_k = rho(s_k)^T lambda_{k+1} + lambda_k^T rho(s_{k+1})`` (no
    ``lambda`` on the clamped input) and ``dC/db_k = lambda_k``.
    One dense linear solve of size ``n_free_units`` per sample.

    With a readout ``(weight, bias, link)`` outside the energy, the cost is the
    readout's loss ``L(p(h))`` of the last hidden layer ``h``: ``dL/dh = (p - d)
    W_out^T`` enters in place of ``dC/dy``, and the readout's own gradients,
    ``h^T (p - d) / n`` and the mean of ``p - d``, are appended last.
    """
    n_samples, n_free = states.shape
    interior = ((states > 0) & (states < 1)).astype(np.float64)
    last = split_states(states, weights)[-1]
    dcost = np.zeros_like(states)
    if readout is None:
        dcost[:, layer_slices(weights)[-1]] = last - target  # dC/dy, C = 1/2 ||y - d||^2
    else:
        dcost[:, layer_slices(weights)[-1]], readout_w, readout_b = _readout_cost_gradient(
            last, target, readout)
    dcost *= interior
    coupling = _coupling_matrix(weights)
    identity = np.eye(n_free)
    lam = np.empty_like(states)
    chunk = max(1, _SOLVE_BYTES // (8 * n_free * n_free))
    for start in range(0, n_samples, chunk):
        rows = slice(start, start + chunk)
        mask = interior[rows]
        # Saturated units keep an identity row and no coupling: their lambda is 0.
        hessian = identity - mask[:, :, None] * coupling * mask[:, None, :]
        rhs = dcost[rows, :, None]
        try:
            lam[rows] = np.linalg.solve(hessian, rhs)[:, :, 0]
        except np.linalg.LinAlgError:  # a degenerate fixed point: least squares
            lam[rows] = np.stack(
                [np.linalg.lstsq(h, r, rcond=None)[0][:, 0] for h, r in zip(hessian, rhs)]
            )
    rhos = [x] + split_states(states, weights)
    lams = [None] + split_states(lam, weights)
    weight_grads = [x.T @ lams[1] / n_samples]
    for k in range(1, len(weights)):
        weight_grads.append((rhos[k].T @ lams[k + 1] + lams[k].T @ rhos[k + 1]) / n_samples)
    bias_grads = [layer.mean(axis=0) for layer in lams[1:]]
    if readout is not None:
        weight_grads.append(readout_w)
        bias_grads.append(readout_b)
    return weight_grads, bias_grads


def _residual(x, states, weights, biases, beta, target, readout=None):
    """``max |s - clip(s - dF/ds, 0, 1)|``: zero exactly at a fixed point of the relaxation."""
    if states.size == 0:
        return 0.0
    drives = np.hstack(layer_drives(x, states, weights, biases))
    if beta != 0.0:
        output = layer_slices(weights)[-1]
        if readout is None:
            drives[:, output] -= beta * (states[:, output] - target)
        else:
            drives[:, output] -= beta * _readout_cost_gradient(
                states[:, output], target, readout)[0]
    return float(np.abs(states - np.clip(drives, 0.0, 1.0)).max())


def _cosine(a, b):
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(np.vdot(a, b) / norm) if norm > 0 else float("nan")


def _norm_ratio(a, b):
    norm = np.linalg.norm(b)
    return float(np.linalg.norm(a) / norm) if norm > 0 else float("nan")


def gradient_alignment(estimator, X, y, *, beta=None, n_iter=None, phases="converged"):
    """Compare the EqProp update with the true gradient of the cost, layer by layer.

    The paper's Theorem 1 states that, as ``beta -> 0``, the contrastive
    update of Equilibrium Propagation is minus the gradient of the cost at
    the free fixed point. This function measures how well that holds for a
    given network and data: it relaxes the free phase from zero states, then
    the nudged phase(s) from the free fixed point, and compares the EqProp
    estimate (the contrastive term of Eq. 13, divided by ``beta``) with the
    exact gradient of the mean cost at that same free fixed point. The cost is
    ``C = 1/2 ||y - d||^2`` for output units in the energy
    (``output="energy"``) and the readout's loss (cross-entropy, binary
    cross-entropy or half squared error) for ``output="readout"``, whose own
    parameters take that exact gradient in training.

    The exact gradient is computed by the implicit-function theorem, not by
    EqProp: the units strictly inside (0, 1) at the free fixed point satisfy
    ``s = drive(s)``, the saturated ones stay put under small parameter
    changes, so ``ds/dtheta`` solves a linear system with the Hessian of the
    energy restricted to the unsaturated units (one dense solve of size
    ``n_free_units`` per sample; keep ``X`` to a few hundred samples for large
    networks). This is the derivative of the function
    ``theta -> mean C(s*(theta))`` that central finite differences would
    estimate, wherever the set of saturated units does not change; it is
    exact at the fixed point actually reached, so both estimates share any
    error of an unconverged free phase. Everything runs in float64 on copies
    of the parameters; the estimator is not modified.

    Parameters
    ----------
    estimator : fitted EqProp estimator or Pipeline ending with one
        The network to inspect (``X`` is transformed by the pipeline's other
        steps).

    X : array-like of shape (n_samples, n_features)
        Samples over which the cost is averaged.

    y : array-like of shape (n_samples,)
        Targets (class labels for a classifier, encoded one-hot).

    beta : float, default=None
        Nudging strength of the EqProp estimate; None means 0.01 with
        ``phases="converged"`` and the estimator's ``beta_`` with
        ``phases="training"``. The estimate uses one nudged phase at
        ``+beta``, or two at ``+beta`` and ``-beta`` if the estimator's
        ``nudging`` is ``"symmetric"``.

    n_iter : int, default=None
        Relaxation steps (sweeps for ``relaxation="layerwise"``) of each phase,
        with ``phases="converged"``. None relaxes each sample until it has
        settled (no unit moves by more than 1e-12 in a step), for at most
        ``max(10000, 100 * n_iter_free)`` steps: near a fixed point the
        gradient dynamics can be very slow, and the comparison needs the
        phases at their fixed points.

    phases : {"converged", "training"}, default="converged"
        ``"converged"`` relaxes both phases to their fixed points (or for
        ``n_iter`` steps), which measures the estimate itself. ``"training"``
        relaxes them as a training step does, with the estimator's ``beta_``,
        caps (``n_iter_free``, ``n_iter_nudged``) and tolerances (``relax_tol``,
        relative to beta in the nudged phase with ``n_iter_nudged="auto"``):
        the update the network actually follows.

    Returns
    -------
    alignment : dict
        With keys

        ``"cosine"`` : list of float
            Cosine between the EqProp estimate and the true gradient for
            ``coefs_[0], ..., coefs_[-1]``, then ``intercepts_[0], ...``.
            1 means the same direction (a readout's parameters, whose
            gradient is exact, give 1).
        ``"norm_ratio"`` : list of float
            Norm of the EqProp estimate over the norm of the true gradient,
            in the same order.
        ``"parameters"`` : list of str
            Names of the parameters, in the same order.
        ``"eqprop_gradient"``, ``"true_gradient"`` : list of ndarray
            The two estimates of ``dC/dtheta`` (the update is minus them).
        ``"fixed_point_residual"`` : float
            ``max |s - clip(s - dF/ds, 0, 1)|`` over the units of every
            phase, 0 exactly at a fixed point. With ``phases="converged"`` a
            warning is raised when it exceeds ``beta / 100``: the nudged phase
            then still carries the free phase's unfinished relaxation, and the
            comparison measures that rather than EqProp; increase ``n_iter``.
        ``"n_iter"`` : tuple of float
            Mean iterations per sample of the free phase and of the nudged
            phase(s).

    Notes
    -----
    The EqProp estimate differs from the gradient by a bias of order
    ``beta`` (``beta**2`` with symmetric nudging) and by whatever error the
    relaxation leaves. Cosines and norm ratios near 1 mean that the network
    trains as gradient descent on the cost would.

    The hard sigmoid makes the cost only piecewise smooth in the
    parameters. Where the nudge pushes a unit of a sample across 0 or 1, the
    set of saturated units changes between the two phases and that sample's
    contribution to the EqProp estimate is no longer the derivative; where
    the Hessian of the energy is nearly singular, the nudged phase responds
    far beyond the linear regime. Either can lower the cosines of a trained
    network well below 1 even at small ``beta`` with exact fixed points;
    this is a property of the EqProp estimate, which this function
    measures, not an error of the reference. The bound on the couplings
    (``coupling_bound``) keeps that Hessian away from singular.

    References
    ----------
    B. Scellier and Y. Bengio, "Equilibrium Propagation: Bridging the Gap
    between Energy-Based Models and Backpropagation", Frontiers in
    Computational Neuroscience 11:24, 2017, Theorem 1.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_digits
    >>> from sk_eqprop import EqPropClassifier
    >>> from sk_eqprop.inspection import gradient_alignment
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:200], y[:200]
    >>> clf = EqPropClassifier(hidden_layer_sizes=(16, 16), max_iter=2, random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     clf = clf.fit(X, y)
    >>> result = gradient_alignment(clf, X[:50], y[:50], phases="training")
    >>> result["parameters"][:3]
    ['coefs_[0]', 'coefs_[1]', 'coefs_[2]']
    >>> min(result["cosine"]) > 0.9
    True
    """
    if y is None:
        raise ValueError("gradient_alignment needs the targets y of the samples X.")
    if phases not in ("converged", "training"):
        raise ValueError(f"phases must be 'converged' or 'training', got {phases!r}.")
    estimator, X = _unwrap(estimator, X)
    X, weights, biases, target, readout = _network_inputs(estimator, X, y)
    settings = dict(method=estimator.relaxation, epsilon=estimator.epsilon, readout=readout)
    if phases == "training":
        if n_iter is not None:
            raise ValueError("n_iter is the estimator's own with phases='training'; "
                             "leave it None, or use phases='converged'.")
        beta = estimator.beta_ if beta is None else float(beta)
        n_free, free_tol = int(estimator.n_iter_free), estimator.relax_tol
        settings_ = training_settings(estimator, beta=beta)
        n_nudged, nudged_tol = settings_.n_iter_nudged, settings_.nudged_tol
    else:
        beta = 0.01 if beta is None else float(beta)
        if n_iter is None:
            # Until every sample has settled: the slowest modes of the gradient dynamics
            # can need thousands of steps, far more than training uses.
            n_free = n_nudged = max(_MAX_ITER, 100 * int(estimator.n_iter_free))
            free_tol = nudged_tol = _SETTLED
        else:
            n_free = n_nudged = int(n_iter)
            free_tol = nudged_tol = None
    if not beta > 0:
        raise ValueError(f"beta must be positive, got {beta!r}.")

    x_drive = X @ weights[0]
    free = zero_states(X.shape[0], weights)
    free_steps = relax(x_drive, free, weights, biases, n_free, tol=free_tol,
                       **dict(settings, readout=None))
    # The estimator's nudging, with +beta for the random sign (the two signs agree in
    # expectation): the same phases as training runs.
    symmetric = estimator.nudging == "symmetric"
    reference, nudged, effective_beta, nudged_steps = nudged_phases(
        x_drive, free, weights, biases, n_nudged, beta=beta, target=target,
        nudging="symmetric" if symmetric else "positive", tol=nudged_tol, **settings,
    )
    eq_w, eq_b = contrastive_gradient(X, reference, nudged, effective_beta, weights)
    true_w, true_b = _implicit_gradient(X, free, target, weights, readout)
    if readout is not None:  # the readout's update is its exact gradient
        eq_w.append(true_w[-1])
        eq_b.append(true_b[-1])

    checked = [(free, 0.0), (nudged, beta)]
    if symmetric:
        checked.append((reference, -beta))
    residual = max(_residual(X, s, weights, biases, b, target, readout) for s, b in checked)
    if phases == "converged" and residual > beta / 100:
        warnings.warn(
            f"The relaxation has not reached its fixed points (residual {residual:.2g} "
            f"after n_iter={n_nudged} steps, not small next to beta={beta:g}); the "
            "comparison measures the relaxation error more than EqProp. Increase n_iter.",
            UserWarning, stacklevel=2,
        )
    eqprop_grads, true_grads = eq_w + eq_b, true_w + true_b
    n_weights = len(eq_w)
    names = [f"coefs_[{k}]" for k in range(n_weights)]
    names += [f"intercepts_[{k}]" for k in range(n_weights)]
    return {
        "cosine": [_cosine(a, b) for a, b in zip(eqprop_grads, true_grads)],
        "norm_ratio": [_norm_ratio(a, b) for a, b in zip(eqprop_grads, true_grads)],
        "parameters": names,
        "eqprop_gradient": eqprop_grads,
        "true_gradient": true_grads,
        "fixed_point_residual": residual,
        "n_iter": (float(np.mean(free_steps)), float(np.mean(nudged_steps))),
    }
