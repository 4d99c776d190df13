"""A readout layer outside the energy (Laborieux et al., 2021).

In the paper's network the output units are the last layer of the energy: they
relax with the hidden layers, and the cost ``C = 1/2 ||y - d||^2`` nudges them.
Clipped to [0, 1], an output unit whose drive is far on the wrong side of its
range receives no nudge at all (its nudged state is its free state, 0 or 1), and
the samples stuck there stop contributing to learning.

With a readout, the output layer is not part of the energy. The relaxing system
is the hidden layers alone; the outputs are read from the last hidden layer ``h``
through a link suited to the task::

    p = link(h W_out + b_out),   link in {softmax, logistic, identity},

and the loss is the one the link is canonical for (cross-entropy, binary
cross-entropy averaged over the labels, half squared error). The average keeps
a multilabel loss, its nudge and its balance against the L2 penalty on the scale
of one label whatever the number of labels (summed, they grew with it). On the
three make_multilabel_classification problems of ``benchmarks/compare_defaults.py``
the average changed the subset accuracy by 0.0, -0.5 and +4.7 points (5, 4 and 8
labels). The weakly clamped phase minimises
``F = E + beta L(p(h), d)``: the nudge on ``h`` is ``-beta dL/dh =
beta (d - p) W_out^T``, evaluated at the current ``h`` at every relaxation step.
For these losses ``dL/dz = p - d`` at the logits ``z``, so the readout's own
parameters take the exact gradient ``h^T (p - d)`` at the free fixed point, a
local delta rule. Laborieux et al. (2021) train their deep EqProp networks with
a softmax readout of this kind.
"""

import numpy as np

LINKS = ("softmax", "logistic", "identity")

# Probabilities are kept this far from 0 in the cross-entropy.
_TINY = 1e-12


def loss_scale(link, n_outputs):
    """The factor on the summed per-output loss: ``1 / n_outputs`` for the logistic
    readout (the mean over labels), else 1."""
    return 1.0 / n_outputs if link == "logistic" else 1.0


def readout_outputs(h_last, weight, bias, link, out=None):
    """``link(h_last @ weight + bias)``: class probabilities, label scores or values."""
    z = np.matmul(h_last, weight, out=out)
    z += bias
    if link == "softmax":
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
    elif link == "logistic":
        # 1 / (1 + exp(-z)), written to stay finite for any z.
        np.clip(z, -500.0, 500.0, out=z)
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)
    elif link != "identity":
        raise ValueError(f"Unknown readout link {link!r}; expected one of {LINKS}.")
    return z


def readout_loss(outputs, target, link):
    """Loss of each sample: cross-entropy, binary cross-entropy or half squared error."""
    if link == "softmax":
        return -np.einsum("ij,ij->i", target, np.log(np.maximum(outputs, _TINY)))
    if link == "logistic":
        p = np.clip(outputs, _TINY, 1.0 - _TINY)
        summed = -np.einsum("ij,ij->i", target, np.log(p)) - np.einsum(
            "ij,ij->i", 1.0 - target, np.log1p(-p)
        )
        return summed * loss_scale(link, target.shape[1])
    diff = outputs - target
    return 0.5 * np.einsum("ij,ij->i", diff, diff)


def readout_direction(
    h_last, outputs, target, weight_out, bias_out, sample_weight=None, link="softmax"
):
    """Write ``-dL/dW_out`` and ``-dL/db_out``, the batch mean, into the given arrays.

    For the canonical losses the gradient at the logits is ``p - d`` (times
    :func:`loss_scale`), so the direction is ``h^T (d - p) / n``: exact, and
    local to the readout.
    """
    delta = target - outputs
    if sample_weight is not None:
        delta = delta * sample_weight[:, np.newaxis]
    delta /= h_last.shape[0]
    scale = loss_scale(link, target.shape[1])
    if scale != 1.0:
        delta *= scale
    np.sum(delta, axis=0, out=bias_out)
    np.matmul(h_last.T, delta, out=weight_out)
