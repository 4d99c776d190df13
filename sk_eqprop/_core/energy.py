"""Energy function, cost function and layer drives of a layered Hopfield-like network."""

import numpy as np

from .layout import split_states


def rho(s):
    """Hard sigmoid ``rho(s) = clip(s, 0, 1)``, the paper's activation (Section 5)."""
    return np.clip(s, 0.0, 1.0)


def energy(x, states, weights, biases):
    """Hopfield-like energy ``E`` of each sample (paper, Eq. 1, layered form).

    ``E = 1/2 sum_k ||s_k||^2 - sum_k rho(s_k)^T W_k rho(s_{k+1}) - sum_k b_k^T rho(s_k)``,
    where the sums over ``s_k`` run over the free layers (hidden and output)
    and the bilinear sum also couples the clamped input ``x`` (used as is, the
    paper's ``rho(x) = x`` for inputs in ``[0, 1]``) to the first hidden layer.

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features)
        Clamped input.
    states : ndarray of shape (n_samples, n_free_units)
        Free layers side by side (see :mod:`sk_eqprop._core.layout`).
    weights, biases : list of ndarray
        Network parameters, see :mod:`sk_eqprop._core`.

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    layers = split_states(states, weights)
    rhos = [x] + [rho(s) for s in layers]
    e = 0.5 * np.einsum("ij,ij->i", states, states)
    for k, W in enumerate(weights):
        e = e - np.einsum("ij,ij->i", rhos[k] @ W, rhos[k + 1])
    for r, b in zip(rhos[1:], biases):
        e = e - r @ b
    return e


def cost(y, target):
    """Quadratic cost ``C = 1/2 ||y - d||^2`` of each sample (paper, Eq. 2)."""
    diff = y - target
    return 0.5 * np.einsum("ij,ij->i", diff, diff)


def total_energy(x, states, weights, biases, beta=0.0, target=None):
    """Total energy ``F = E + beta C`` of each sample (paper, Eq. 4)."""
    f = energy(x, states, weights, biases)
    if beta != 0.0:
        f = f + beta * cost(split_states(states, weights)[-1], target)
    return f


def layer_drives(x, states, weights, biases):
    """Net input of every free layer given its neighbours.

    For the free layer ``k`` the drive is ``rho(s_{k-1}) W_{k-1} + rho(s_{k+1}) W_k^T + b_k``
    (the output layer has no layer above it), so that for states in ``[0, 1]``
    ``dE/ds_k = s_k - drive_k`` and the free fixed point (paper, Eq. 43 at rest)
    satisfies ``s_k = clip(drive_k, 0, 1)``.

    Returns
    -------
    list of ndarray, one per free layer.
    """
    rhos = [x] + [rho(s) for s in split_states(states, weights)]
    drives = []
    for k, b in enumerate(biases):
        d = rhos[k] @ weights[k] + b
        if k + 1 < len(weights):
            d = d + rhos[k + 2] @ weights[k + 1].T
        drives.append(d)
    return drives
