"""The local contrastive learning rule of Equilibrium Propagation."""

import numpy as np

from .layout import split_states


def contrastive_gradient(x, free_states, nudged_states, beta, weights):
    """EqProp estimate of the gradient of the cost with respect to the parameters.

    Implements the paper's learning rule (Eq. 10, and Eq. 13 for the layered
    network): as ``beta -> 0``,

    ``dC/dW_k ~ -(1/beta) mean_batch[rho(s_k^b)^T rho(s_{k+1}^b) - rho(s_k^0)^T rho(s_{k+1}^0)]``
    ``dC/db_k ~ -(1/beta) mean_batch[rho(s_k^b) - rho(s_k^0)]``

    where ``s^0`` is the free fixed point and ``s^b`` the weakly clamped one,
    so that the update ``W_k <- W_k - rate_k * dC/dW_k`` is the paper's
    ``Delta W_k = rate_k / beta * (...)`` (the paper calls the rate ``alpha_k``;
    here ``alpha`` is the L2 penalty). The input is clamped in both phases,
    so the first layer's term is the single product ``x^T (rho(h^b) - rho(h^0))``.

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features)
    free_states, nudged_states : ndarray of shape (n_samples, n_free_units)
        Free layers at the free and at the weakly clamped fixed points (in ``[0, 1]``).
    beta : float
        The (signed) nudging strength used for ``nudged_states``.
    weights : list of ndarray
        The weights (only their shapes are used).

    Returns
    -------
    weight_grads, bias_grads : list of ndarray
        Shaped like the weights and biases.
    """
    scale = -1.0 / (beta * x.shape[0])
    free = [x] + split_states(free_states, weights)
    nudged = [x] + split_states(nudged_states, weights)
    weight_grads = [scale * (x.T @ (nudged[1] - free[1]))]
    for k in range(1, len(weights)):
        weight_grads.append(scale * (nudged[k].T @ nudged[k + 1] - free[k].T @ free[k + 1]))
    bias_grads = [scale * (sb - s0).sum(axis=0) for sb, s0 in zip(nudged[1:], free[1:])]
    return weight_grads, bias_grads


def contrastive_direction(
    x, free_states, nudged_states, beta, weights, weight_out, bias_out, *, sample_weight=None,
    rates=None,
):
    """Write the EqProp estimate of ``-dC/dW_k`` and ``-dC/db_k`` into ``weight_out``, ``bias_out``.

    The ascent direction of :func:`contrastive_gradient` (paper, Eq. 10 and 13),
    ``(1/beta) mean_batch[rho(s_k^b)^T rho(s_{k+1}^b) - rho(s_k^0)^T rho(s_{k+1}^0)]``,
    with one matrix product per layer: the two co-activity terms of a
    hidden-to-hidden layer are one product of the phases stacked along the
    batch axis, ``[s_k^b, s_k^0]^T [c s_{k+1}^b, -c s_{k+1}^0]``. The results
    land in preallocated arrays, so that no weight-sized array is allocated.

    With ``rates``, layer ``k``'s direction is multiplied by ``rates[k]`` (folded
    into ``c``: the paper's step itself, see :func:`apply_contrastive_update`).
    With ``sample_weight``, sample ``i``'s term is multiplied by ``sample_weight[i]``
    (the batch mean stays a mean over the ``n`` samples): a weight of 2 counts as
    the sample seen twice. ``x`` may be a SciPy sparse matrix.
    """
    n = x.shape[0]
    free = [x] + split_states(free_states, weights)
    nudged = [x] + split_states(nudged_states, weights)
    for k, (W_out, b_out) in enumerate(zip(weight_out, bias_out)):
        coef = (1.0 if rates is None else rates[k]) / (beta * n)
        scale = coef if sample_weight is None else coef * sample_weight[:, np.newaxis]
        delta = nudged[k + 1] - free[k + 1]
        delta *= scale
        np.sum(delta, axis=0, out=b_out)
        if k == 0:  # the clamped input is the same in both phases
            below, above = x, delta
        else:
            below = np.concatenate([nudged[k], free[k]])
            above = np.concatenate([nudged[k + 1], free[k + 1]])
            above[:n] *= scale
            above[n:] *= -scale
        if isinstance(below, np.ndarray):
            np.matmul(below.T, above, out=W_out)
        else:  # sparse input
            W_out[...] = below.T @ above


def apply_contrastive_update(
    x, free_states, nudged_states, beta, weights, biases, rates, *, workspace=None,
    sample_weight=None, alpha=0.0,
):
    """Apply ``W_k <- W_k - rates[k] * dC/dW_k`` (and biases) in place.

    The paper's step: :func:`contrastive_direction` with the rates folded into
    its scale, written into ``workspace`` (arrays shaped like the weights, reused
    across minibatches; allocated here if not given), then added to the weights.

    With ``alpha`` (the L2 penalty ``alpha`` of scikit-learn's MLP), every
    weight matrix is first shrunk by ``1 - rates[k] * alpha / n``: the step
    of the penalty ``alpha / (2 n) ||W_k||^2`` taken at the current weights.
    """
    n = x.shape[0]
    products = [np.empty_like(W) for W in weights] if workspace is None else workspace
    bias_steps = [np.empty_like(b) for b in biases]
    contrastive_direction(
        x, free_states, nudged_states, beta, weights, products, bias_steps,
        sample_weight=sample_weight, rates=rates,
    )
    for W, b, rate, product, bias_step in zip(weights, biases, rates, products, bias_steps):
        b += bias_step
        if alpha:
            W *= 1.0 - rate * alpha / n
        W += product
