"""Relaxation of the free layers towards a fixed point of the total energy ``F``."""

import numpy as np

from .layout import layer_slices


def relax_gradient(x_drive, states, weights, biases, epsilon, n_iter, beta=0.0, target=None):
    """Run ``n_iter`` steps of the paper's discretised dynamics (Eq. 43).

    Every free layer moves at once along ``-dF/ds`` and is clipped to ``[0, 1]``::

        s <- clip(s - epsilon * dF/ds, 0, 1),
        dF/ds_k = s_k - drive_k                 (hidden layers)
        dF/dy   = y - drive_y + beta * (y - d)  (output layer, Eq. 4 with C = 1/2 ||y - d||^2)

    where ``drive_k`` is the net input of layer ``k`` (see
    :func:`~sk_eqprop._core.energy.layer_drives`). ``beta = 0`` is the free
    phase, ``beta != 0`` the weakly clamped (nudged) phase.

    Parameters
    ----------
    x_drive : ndarray of shape (n_samples, n_1)
        The constant drive of the clamped input, ``x @ W_0``, computed once per batch.
    states : ndarray of shape (n_samples, n_free_units)
        Free layers side by side, in ``[0, 1]``; **updated in place**.
    weights, biases : list of ndarray
        Network parameters (``weights[0]`` is not read: its effect is ``x_drive``).
    epsilon : float
        Step size of the dynamics, in ``(0, 1]``.
    n_iter : int
        Number of steps.
    beta : float, default=0.0
        Influence parameter of the cost (nudging strength, any sign).
    target : ndarray of shape (n_samples, n_outputs), optional
        Target ``d`` of the output layer; required when ``beta != 0``.

    Returns
    -------
    states : ndarray
        The same array, relaxed.
    """
    eps = float(epsilon)
    slices = layer_slices(weights)
    n_free = len(slices)
    layers = [states[:, cols] for cols in slices]
    # Everything that stays constant during the relaxation, scaled by epsilon: the
    # input's drive and the biases, plus the nudge ``beta * d`` of the output layer.
    const = np.empty_like(states)
    np.add(x_drive, biases[0], out=const[:, slices[0]])
    for cols, b in zip(slices[1:], biases[1:]):
        const[:, cols] = b
    decay = 1.0 - eps
    if beta != 0.0:
        const[:, slices[-1]] += beta * target
        decay = np.full(states.shape[1], 1.0 - eps, dtype=states.dtype)
        decay[slices[-1]] = 1.0 - eps - eps * beta
    const *= eps
    scaled_weights = [None] + [eps * W for W in weights[1:]]
    drive = np.empty_like(states)
    drive_layers = [drive[:, cols] for cols in slices]
    # Middle layers get a drive from below and from above: one product lands here.
    spare = [np.empty_like(s) if 0 < k < n_free - 1 else None for k, s in enumerate(layers)]

    for _ in range(n_iter):
        # All drives first, from the current states: the layers move simultaneously.
        for k in range(n_free):
            out = drive_layers[k]
            if k > 0:
                np.matmul(layers[k - 1], scaled_weights[k], out=out)
            if k + 1 < n_free:
                top_down = spare[k] if k > 0 else out
                np.matmul(layers[k + 1], scaled_weights[k + 1].T, out=top_down)
                if k > 0:
                    out += top_down
            elif k == 0:
                out.fill(0.0)
        drive += const
        states *= decay
        states += drive
        np.clip(states, 0.0, 1.0, out=states)
    return states
