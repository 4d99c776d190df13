"""The local contrastive learning rule of Equilibrium Propagation."""

import numpy as np


def contrastive_gradient(x, free_states, nudged_states, beta):
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
    free_states, nudged_states : list of ndarray
        Free layers at the free and at the weakly clamped fixed points (in ``[0, 1]``).
    beta : float
        The (signed) nudging strength used for ``nudged_states``.

    Returns
    -------
    weight_grads, bias_grads : list of ndarray
        Shaped like the weights and biases.
    """
    scale = -1.0 / (beta * x.shape[0])
    deltas = [sb - s0 for sb, s0 in zip(nudged_states, free_states)]
    weight_grads = [scale * (x.T @ deltas[0])]
    for k in range(1, len(free_states)):
        below_b, below_0 = nudged_states[k - 1], free_states[k - 1]
        above_b, above_0 = nudged_states[k], free_states[k]
        weight_grads.append(scale * (below_b.T @ above_b - below_0.T @ above_0))
    bias_grads = [scale * d.sum(axis=0) for d in deltas]
    return weight_grads, bias_grads
