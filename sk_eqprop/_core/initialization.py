"""Initial parameters and states."""

import numpy as np


def glorot_uniform(layer_sizes, rng, dtype=np.float64, gain=1.0):
    """Glorot-uniform weights and zero biases, as in the paper (Section 5).

    ``W_k ~ U(-a, a)`` with ``a = gain * sqrt(6 / (n_k + n_{k+1}))``.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, n_hidden_1, ..., n_outputs]``.
    rng : numpy.random.Generator or RandomState
        Source of randomness.
    dtype : dtype
        Floating dtype of the parameters.
    gain : float
        Multiplier of the Glorot bound.

    Returns
    -------
    weights, biases : list of ndarray
    """
    weights, biases = [], []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        bound = gain * np.sqrt(6.0 / (n_in + n_out))
        weights.append(rng.uniform(-bound, bound, size=(n_in, n_out)).astype(dtype))
        biases.append(np.zeros(n_out, dtype=dtype))
    return weights, biases

