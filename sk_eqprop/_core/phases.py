"""The weakly clamped phase(s) of one EqProp step, from the free fixed point.

The paper nudges with ``+beta`` or, drawing the sign at random for each minibatch,
``-beta`` (Section 3); the symmetric estimate of Laborieux et al. (2021) relaxes a
``+beta`` and a ``-beta`` phase and compares them, which removes the first-order
bias of the contrastive estimate. :func:`nudged_phases` runs either and returns
the two states the contrastive term compares (Eq. 10 and 13).
"""

import numpy as np

from .relaxation import relax
from .workspace import take

NUDGINGS = ("random_sign", "positive", "symmetric")


def nudged_phases(
    x_drive, free_states, weights, biases, n_iter, *, beta, target, nudging="positive",
    sign=1.0, method="gradient", epsilon=0.5, tol=None, readout=None, workspace=None,
):
    """Relax the weakly clamped phase(s) from the free fixed point ``free_states``.

    Parameters
    ----------
    x_drive, weights, biases, method, epsilon, tol, readout, workspace
        As in :func:`~sk_eqprop._core.relaxation.relax`.
    free_states : ndarray of shape (n_samples, n_free_units)
        The free fixed point (not modified).
    n_iter : int
        Iterations (or cap, with ``tol``) of each nudged phase.
    beta : float
        The nudging strength, > 0.
    target : ndarray of shape (n_samples, n_outputs)
        The target ``d``.
    nudging : {"random_sign", "positive", "symmetric"}, default="positive"
        ``"symmetric"`` relaxes a ``+beta`` and a ``-beta`` phase as one batch of
        ``2 n`` rows (the same arithmetic in taller matrix products). The others
        relax one phase at ``sign * beta``.
    sign : {1.0, -1.0}, default=1.0
        The sign of ``beta`` for a single phase (the caller draws it for
        ``"random_sign"``).

    Returns
    -------
    reference, nudged : ndarray of shape (n_samples, n_free_units)
        The states the contrastive term compares, ``nudged`` minus ``reference``:
        the ``+beta`` and ``-beta`` phases, or the nudged phase and the free
        fixed point.
    effective_beta : float
        The (signed) difference of their betas: ``2 beta``, or ``sign * beta``.
    n_steps : ndarray
        Iterations taken by each relaxed row.
    """
    if nudging not in NUDGINGS:
        raise ValueError(f"Unknown nudging {nudging!r}; expected one of {NUDGINGS}.")
    settings = dict(method=method, epsilon=epsilon, tol=tol, readout=readout,
                    workspace=workspace)
    n, dtype = free_states.shape[0], free_states.dtype
    beta = float(beta)
    if nudging == "symmetric":
        both = take(workspace, "phases.nudged", (2 * n, free_states.shape[1]), dtype)
        both[:n], both[n:] = free_states, free_states
        drive = take(workspace, "phases.x_drive", (2 * n, x_drive.shape[1]), x_drive.dtype)
        drive[:n], drive[n:] = x_drive, x_drive
        targets = take(workspace, "phases.target", (2 * n, target.shape[1]), dtype)
        targets[:n], targets[n:] = target, target
        betas = np.repeat(np.array([beta, -beta], dtype=dtype), n)
        n_steps = relax(drive, both, weights, biases, n_iter, beta=betas, target=targets,
                        **settings)
        return both[n:], both[:n], 2.0 * beta, n_steps
    nudged = take(workspace, "phases.nudged", free_states.shape, dtype)
    np.copyto(nudged, free_states)
    n_steps = relax(x_drive, nudged, weights, biases, n_iter, beta=sign * beta, target=target,
                    **settings)
    return free_states, nudged, sign * beta, n_steps
