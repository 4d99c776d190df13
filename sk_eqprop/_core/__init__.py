"""Numerical core of Equilibrium Propagation: pure functions on NumPy arrays.

Nothing here imports scikit-learn. A layered network is described by

``weights``
    list ``[W_0, ..., W_L]``; ``W_k`` has shape ``(n_k, n_{k+1})`` and connects
    layer ``k`` (layer 0 is the clamped input ``x``) to layer ``k + 1``.
``biases``
    list ``[b_1, ..., b_{L+1}]``, one vector per free layer.
``states``
    one array of shape ``(n_samples, n_1 + ... + n_{L+1})``: the hidden layers
    followed by the output layer ``y``, side by side (:mod:`.layout`). States
    live in ``[0, 1]``, where the hard sigmoid ``rho`` is the identity.

References: B. Scellier and Y. Bengio, "Equilibrium Propagation: Bridging the
Gap between Energy-Based Models and Backpropagation", Front. Comput. Neurosci.
11:24 (2017). Equation numbers in comments refer to that paper.
"""

from .energy import cost, energy, layer_drives, rho, total_energy
from .initialization import glorot_uniform
from .layout import split_states, zero_states
from .optimizers import SGD, Adam, scheduled_rates
from .phases import NUDGINGS, nudged_phases
from .readout import LINKS, readout_direction, readout_loss, readout_outputs
from .relaxation import RELAXATIONS, relax
from .update import contrastive_direction, contrastive_gradient, eqprop_direction

__all__ = [
    "LINKS",
    "NUDGINGS",
    "SGD",
    "Adam",
    "eqprop_direction",
    "readout_direction",
    "readout_loss",
    "readout_outputs",
    "RELAXATIONS",
    "contrastive_direction",
    "contrastive_gradient",
    "cost",
    "energy",
    "glorot_uniform",
    "layer_drives",
    "nudged_phases",
    "relax",
    "rho",
    "scheduled_rates",
    "split_states",
    "total_energy",
    "zero_states",
]
