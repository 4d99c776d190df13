"""Memory layout of the free layers: one array per batch, the layers side by side.

The state of a batch is a single array of shape ``(n_samples, n_1 + ... + n_{L+1})``
holding the hidden layers and then the output layer. Whole-state operations
(decay, clipping, copying, storing persistent particles) are then one NumPy
call each, whatever the depth; :func:`split_states` gives per-layer views.
"""

import numpy as np


def _free_layer_sizes(weights):
    """Sizes ``[n_1, ..., n_{L+1}]`` of the free layers of a network."""
    return [W.shape[1] for W in weights]


def layer_slices(weights):
    """Column slices of each free layer in a states array."""
    slices, start = [], 0
    for W in weights:
        slices.append(slice(start, start + W.shape[1]))
        start += W.shape[1]
    return slices


def split_states(states, weights):
    """Views of ``states`` on each free layer, ``[s_1, ..., s_{L+1}]`` (no copy)."""
    return [states[:, cols] for cols in layer_slices(weights)]


def zero_states(n_samples, weights, dtype=None):
    """All free layers at zero: the fixed start of every prediction."""
    dtype = weights[0].dtype if dtype is None else dtype
    return np.zeros((n_samples, sum(_free_layer_sizes(weights))), dtype=dtype)
