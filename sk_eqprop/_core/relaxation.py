"""Relaxation of the free layers towards a fixed point of the total energy ``F``."""

import numpy as np


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
    states : list of ndarray
        Free layers ``[s_1, ..., s_{L+1}]`` in ``[0, 1]``; **updated in place**.
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
    states : list of ndarray
        The same list, relaxed.
    """
    n_free = len(states)
    eps = float(epsilon)
    # The constant part of each layer's (step-scaled) drive: input drive and biases,
    # plus the nudge ``beta * d`` of the output layer.
    const = [eps * b for b in biases]
    const[0] = eps * (x_drive + biases[0])
    decay = [1.0 - eps] * n_free
    if beta != 0.0:
        const[-1] = const[-1] + (eps * beta) * target
        decay[-1] = 1.0 - eps - eps * beta
    scaled_weights = [None] + [eps * W for W in weights[1:]]
    drives = [np.empty_like(s) for s in states]
    spare = [np.empty_like(s) for s in states]

    for _ in range(n_iter):
        # All drives first, from the current states: the layers move simultaneously.
        for k in range(n_free):
            drive = drives[k]
            if k > 0:
                np.matmul(states[k - 1], scaled_weights[k], out=drive)
                if k + 1 < n_free:
                    np.matmul(states[k + 1], scaled_weights[k + 1].T, out=spare[k])
                    drive += spare[k]
            elif n_free > 1:
                np.matmul(states[1], scaled_weights[1].T, out=drive)
            else:
                drive.fill(0.0)
            drive += const[k]
        for k in range(n_free):
            s = states[k]
            s *= decay[k]
            s += drives[k]
            np.clip(s, 0.0, 1.0, out=s)
    return states
