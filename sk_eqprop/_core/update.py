"""The EqProp estimate of the gradient: the local contrastive learning rule.

:func:`eqprop_direction` is the estimate every optimizer consumes (both
backends compute it once per minibatch); :func:`contrastive_gradient` is the
same rule as a gradient, for inspection.
"""

import numpy as np

from .layout import split_states
from .readout import readout_direction


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
    This is minus :func:`contrastive_direction`, in new arrays.

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
    dtype = np.result_type(free_states, nudged_states)
    weight_grads = [np.empty(W.shape, dtype) for W in weights]
    bias_grads = [np.empty(W.shape[1], dtype) for W in weights]
    contrastive_direction(x, free_states, nudged_states, beta, weights, weight_grads, bias_grads)
    for g in weight_grads + bias_grads:
        np.negative(g, out=g)
    return weight_grads, bias_grads


def contrastive_direction(
    x, free_states, nudged_states, beta, weights, weight_out, bias_out, *, sample_weight=None,
    input_shift=None,
):
    """Write the EqProp estimate of ``-dC/dW_k`` and ``-dC/db_k`` into ``weight_out``, ``bias_out``.

    The ascent direction of :func:`contrastive_gradient` (paper, Eq. 10 and 13),
    ``(1/beta) mean_batch[rho(s_k^b)^T rho(s_{k+1}^b) - rho(s_k^0)^T rho(s_{k+1}^0)]``,
    with one matrix product per layer: the two co-activity terms of a
    hidden-to-hidden layer are one product of the phases stacked along the
    batch axis, ``[s_k^b, s_k^0]^T [c s_{k+1}^b, -c s_{k+1}^0]``. The results
    land in preallocated arrays, so that no weight-sized array is allocated.

    With ``sample_weight``, sample ``i``'s term is multiplied by ``sample_weight[i]``
    (the batch mean stays a mean over the ``n`` samples): a weight of 2 counts as
    the sample seen twice. ``x`` may be a SciPy sparse matrix, whose rows are
    centred by ``input_shift`` (the input is ``x - input_shift``): the first layer's
    product ``(x - 1 shift^T)^T delta`` is ``x^T delta - shift (sum delta)^T``, a
    rank-one correction by the bias direction.
    """
    n = x.shape[0]
    free = [x] + split_states(free_states, weights)
    nudged = [x] + split_states(nudged_states, weights)
    for k, (W_out, b_out) in enumerate(zip(weight_out, bias_out)):
        coef = 1.0 / (beta * n)
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
            if input_shift is not None:
                W_out -= np.outer(input_shift, b_out)


def eqprop_direction(
    x, free_states, nudged_states, beta, weights, directions, *, readout=None,
    sample_weight=None, input_shift=None,
):
    """Fill ``directions`` (weights, then biases) with the EqProp estimate of ``-dL/dparams``.

    Without readout this is the contrastive term of every layer. With a readout,
    ``readout = (h_last, outputs, target, link)`` (the last hidden layer and the
    readout's outputs at the free fixed point, the target and the link), the states
    hold the hidden layers only: the hidden layers' parameters get the contrastive
    term and the readout's the exact gradient of its loss
    (:func:`~sk_eqprop._core.readout.readout_direction`). ``input_shift``: as in
    :func:`contrastive_direction`.
    """
    n_weights = len(weights)
    weight_out, bias_out = directions[:n_weights], directions[n_weights:]
    if readout is None:
        contrastive_direction(
            x, free_states, nudged_states, beta, weights, weight_out, bias_out,
            sample_weight=sample_weight, input_shift=input_shift,
        )
        return
    contrastive_direction(
        x, free_states, nudged_states, beta, weights[:-1], weight_out[:-1], bias_out[:-1],
        sample_weight=sample_weight, input_shift=input_shift,
    )
    h_last, outputs, target, link = readout
    readout_direction(h_last, outputs, target, weight_out[-1], bias_out[-1], sample_weight,
                      link)
