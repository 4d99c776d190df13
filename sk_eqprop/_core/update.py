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
    so that the update ``W_k <- W_k - alpha_k * dC/dW_k`` is the paper's
    ``Delta W_k = alpha_k / beta * (...)``. The input is clamped in both phases,
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


def apply_contrastive_update(
    x, free_states, nudged_states, beta, weights, biases, rates, *, workspace=None,
    sample_weight=None,
):
    """Apply ``W_k <- W_k - rates[k] * dC/dW_k`` (and biases) in place.

    Same mathematics as :func:`contrastive_gradient`, with one matrix product
    per layer: the two co-activity terms of a hidden-to-hidden layer are one
    product of the phases stacked along the batch axis,
    ``[s_k^b, s_k^0]^T [c s_{k+1}^b, -c s_{k+1}^0]``, and the product lands in
    ``workspace`` (arrays shaped like the weights, reused across minibatches)
    so that no weight-sized array is allocated per update.

    With ``sample_weight``, sample ``i``'s term is multiplied by ``sample_weight[i]``
    (the batch mean stays a mean over the ``n`` samples): a weight of 2 counts as
    the sample seen twice. ``x`` may be a SciPy sparse matrix.
    """
    n = x.shape[0]
    if workspace is None:
        workspace = [np.empty_like(W) for W in weights]
    scale = 1.0 if sample_weight is None else sample_weight[:, np.newaxis]
    free = [x] + split_states(free_states, weights)
    nudged = [x] + split_states(nudged_states, weights)
    for k, (W, b, rate, product) in enumerate(zip(weights, biases, rates, workspace)):
        coef = rate / (beta * n)
        delta = nudged[k + 1] - free[k + 1]
        delta *= coef * scale
        b += delta.sum(axis=0)
        if k == 0:  # the clamped input is the same in both phases
            if isinstance(x, np.ndarray):
                np.matmul(x.T, delta, out=product)
            else:  # sparse input
                product[...] = x.T @ delta
        else:
            below = np.concatenate([nudged[k], free[k]])
            above = np.concatenate([nudged[k + 1], free[k + 1]])
            above[:n] *= coef * scale
            above[n:] *= -coef * scale
            np.matmul(below.T, above, out=product)
        W += product
