"""How closely the EqProp update follows the true gradient of the cost."""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_consistent_length, check_is_fitted, validate_data

from .._core import (
    contrastive_gradient,
    layer_drives,
    nudged_phases,
    relax,
    split_states,
    zero_states,
)
from .._core.layout import layer_slices

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
    """Validated float64 input, float64 copies of the parameters, and the output target ``d``.

    Nothing is written onto ``estimator``: the targets go through its own
    encoding (the one-hot code of ``classes_``, a multilabel indicator matrix,
    or the regressor's map onto the output units).
    """
    if getattr(estimator, "output", "energy") != "energy":
        raise ValueError(
            "The inspection tools follow the relaxation of a network whose output units are "
            f"part of the energy; this estimator has output={estimator.output!r}. Fit it "
            "with output='energy' to inspect it."
        )
    X = validate_data(estimator, X, reset=False, dtype=np.float64, accept_sparse="csr")
    X = estimator._network_input(X)
    if sp.issparse(X):
        X = X.toarray()  # inspection runs on a few samples: dense is simplest
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
        target = estimator._encode_targets(y, np.float64)
        target = np.asarray(target, dtype=np.float64)
    return X, weights, biases, target


def _coupling_matrix(weights):
    """Symmetric couplings ``A`` of the free units: ``E = 1/2 s^T (I - A) s`` + linear terms."""
    slices = layer_slices(weights)
    n_free = slices[-1].stop
    coupling = np.zeros((n_free, n_free))
    for k in range(1, len(weights)):
        coupling[slices[k - 1], slices[k]] = weights[k]
        coupling[slices[k], slices[k - 1]] = weights[k].T
    return coupling


def _implicit_gradient(x, states, target, weights):
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
    """
    n_samples, n_free = states.shape
    interior = ((states > 0) & (states < 1)).astype(np.float64)
    outputs = split_states(states, weights)[-1]
    dcost = np.zeros_like(states)
    dcost[:, layer_slices(weights)[-1]] = outputs - target  # dC/dy, C = 1/2 ||y - d||^2
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
    return weight_grads, bias_grads


def _residual(x, states, weights, biases, beta, target):
    """``max |s - clip(s - dF/ds, 0, 1)|``: zero exactly at a fixed point of the relaxation."""
    if states.size == 0:
        return 0.0
    drives = np.hstack(layer_drives(x, states, weights, biases))
    if beta != 0.0:
        output = layer_slices(weights)[-1]
        drives[:, output] -= beta * (states[:, output] - target)
    return float(np.abs(states - np.clip(drives, 0.0, 1.0)).max())


def _cosine(a, b):
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(np.vdot(a, b) / norm) if norm > 0 else float("nan")


def _norm_ratio(a, b):
    norm = np.linalg.norm(b)
    return float(np.linalg.norm(a) / norm) if norm > 0 else float("nan")


def gradient_alignment(estimator, X, y, *, beta=None, n_iter=None):
    """Compare the EqProp update with the true gradient of the cost, layer by layer.

    The paper's Theorem 1 states that, as ``beta -> 0``, the contrastive
    update of Equilibrium Propagation is minus the gradient of the cost
    ``C = 1/2 ||y - d||^2`` at the free fixed point. This function measures
    how well that holds for a given network and data: it relaxes the free
    phase from zero states, then a nudged phase at ``beta`` from the free
    fixed point, both for ``n_iter`` steps with the estimator's dynamics, and
    compares the EqProp estimate (the contrastive term of Eq. 13, divided by ``beta``)
    with the exact gradient of the mean cost at that same free fixed point.

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
        Nudging strength of the EqProp estimate; None means 0.01. The
        estimate uses one nudged phase at ``+beta``, or two at ``+beta`` and
        ``-beta`` if the estimator's ``nudging`` is ``"symmetric"``.

    n_iter : int, default=None
        Relaxation steps (sweeps for ``relaxation="layerwise"``) of each phase.
        None relaxes each sample until it has settled (no unit moves by more
        than 1e-12 in a step), for at most ``max(10000, 100 * n_iter_free)``
        steps: near a fixed point the gradient dynamics can be very slow,
        and the comparison needs the phases at their fixed points.

    Returns
    -------
    alignment : dict
        With keys

        ``"cosine"`` : list of float
            Cosine between the EqProp estimate and the true gradient for
            ``coefs_[0], ..., coefs_[-1]``, then ``intercepts_[0], ...``.
            1 means the same direction.
        ``"norm_ratio"`` : list of float
            Norm of the EqProp estimate over the norm of the true gradient,
            in the same order.
        ``"parameters"`` : list of str
            Names of the parameters, in the same order.
        ``"eqprop_gradient"``, ``"true_gradient"`` : list of ndarray
            The two estimates of ``dC/dtheta`` (the update is minus them).
        ``"fixed_point_residual"`` : float
            ``max |s - clip(s - dF/ds, 0, 1)|`` over the units of every
            phase, 0 exactly at a fixed point. A warning is raised when it
            exceeds ``beta / 100``: the nudged phase then still carries the
            free phase's unfinished relaxation, and the comparison measures
            that rather than EqProp; increase ``n_iter``.

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
    measures, not an error of the reference.

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
    >>> X = X[:200] / 16
    >>> y = y[:200]
    >>> clf = EqPropClassifier(output="energy", hidden_layer_sizes=(16,), max_iter=2,
    ...                        random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     clf = clf.fit(X, y)
    >>> result = gradient_alignment(clf, X[:50], y[:50])
    >>> result["parameters"]
    ['coefs_[0]', 'coefs_[1]', 'intercepts_[0]', 'intercepts_[1]']
    >>> min(result["cosine"]) > 0.9
    True
    """
    if y is None:
        raise ValueError("gradient_alignment needs the targets y of the samples X.")
    estimator, X = _unwrap(estimator, X)
    X, weights, biases, target = _network_inputs(estimator, X, y)
    beta = 0.01 if beta is None else float(beta)
    if not beta > 0:
        raise ValueError(f"beta must be positive, got {beta!r}.")
    if n_iter is None:
        # Until every sample has settled: the slowest modes of the gradient dynamics
        # can need thousands of steps, far more than training uses.
        n_iter = max(_MAX_ITER, 100 * int(estimator.n_iter_free))
        settings = dict(tol=_SETTLED)
    else:
        settings = dict(tol=None)
    settings.update(method=estimator.relaxation, epsilon=estimator.epsilon)

    x_drive = X @ weights[0]
    free = zero_states(X.shape[0], weights)
    relax(x_drive, free, weights, biases, n_iter, **settings)
    # The estimator's nudging, with +beta for the random sign (the two signs agree in
    # expectation): the same phases as training runs.
    symmetric = estimator.nudging == "symmetric"
    reference, nudged, effective_beta, _ = nudged_phases(
        x_drive, free, weights, biases, n_iter, beta=beta, target=target,
        nudging="symmetric" if symmetric else "positive", **settings,
    )
    eq_w, eq_b = contrastive_gradient(X, reference, nudged, effective_beta, weights)
    true_w, true_b = _implicit_gradient(X, free, target, weights)

    phases = [(free, 0.0), (nudged, beta)]
    if symmetric:
        phases.append((reference, -beta))
    residual = max(_residual(X, s, weights, biases, b, target) for s, b in phases)
    if residual > beta / 100:
        warnings.warn(
            f"The relaxation has not reached its fixed points (residual {residual:.2g} "
            f"after n_iter={n_iter} steps, not small next to beta={beta:g}); the "
            "comparison measures the relaxation error more than EqProp. Increase n_iter.",
            UserWarning, stacklevel=2,
        )
    eqprop_grads, true_grads = eq_w + eq_b, true_w + true_b
    names = [f"coefs_[{k}]" for k in range(len(weights))]
    names += [f"intercepts_[{k}]" for k in range(len(biases))]
    return {
        "cosine": [_cosine(a, b) for a, b in zip(eqprop_grads, true_grads)],
        "norm_ratio": [_norm_ratio(a, b) for a, b in zip(eqprop_grads, true_grads)],
        "parameters": names,
        "eqprop_gradient": eqprop_grads,
        "true_gradient": true_grads,
        "fixed_point_residual": residual,
    }

