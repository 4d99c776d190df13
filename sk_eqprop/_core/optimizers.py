"""Optimizers that follow the EqProp estimate of the gradient.

The contrastive term of Equilibrium Propagation (paper, Eq. 10 and 13) estimates
minus the gradient of the cost with respect to each parameter. The paper follows
it with plain stochastic steps (:class:`SGD`; for a network without readout the
fused :func:`~sk_eqprop._core.update.apply_contrastive_update` does the same in
fewer passes). :class:`Adam` follows it with the adaptive steps of Kingma & Ba
(2015), which scikit-learn's MLP uses by default: every parameter moves by about
its learning rate per step whatever the scale of its gradient, so one set of rates
suits inputs, layer widths and dataset sizes of very different scales.

Both hold ``directions``, arrays shaped like the weights then the biases, that
the caller fills with the ascent direction (:func:`eqprop_direction`) before
calling ``step``.
"""

import numpy as np

from .readout import readout_direction
from .update import contrastive_direction


def eqprop_direction(
    x, free_states, nudged_states, beta, weights, directions, *, readout=None,
    sample_weight=None,
):
    """Fill ``directions`` (weights, then biases) with the EqProp estimate of ``-dL/dparams``.

    Without readout this is the contrastive term of every layer. With a readout,
    ``readout = (h_last, outputs, target)`` (the last hidden layer and the readout's
    outputs at the free fixed point, and the target), the states hold the hidden
    layers only: the hidden layers' parameters get the contrastive term and the
    readout's the exact gradient of its loss
    (:func:`~sk_eqprop._core.readout.readout_direction`).
    """
    n_weights = len(weights)
    weight_out, bias_out = directions[:n_weights], directions[n_weights:]
    if readout is None:
        contrastive_direction(
            x, free_states, nudged_states, beta, weights, weight_out, bias_out,
            sample_weight=sample_weight,
        )
        return
    contrastive_direction(
        x, free_states, nudged_states, beta, weights[:-1], weight_out[:-1], bias_out[:-1],
        sample_weight=sample_weight,
    )
    h_last, outputs, target = readout
    readout_direction(h_last, outputs, target, weight_out[-1], bias_out[-1], sample_weight)


class _Optimizer:
    """Direction buffers shaped like ``weights`` then ``biases``."""

    def __init__(self, weights, biases):
        self.directions = [np.empty_like(p) for p in list(weights) + list(biases)]
        self._specs = [(d.shape, d.dtype) for d in self.directions]

    def copy(self):
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.directions = [np.empty_like(d) for d in self.directions]
        return new

    def __getstate__(self):
        # The buffers are scratch space: they are reallocated on load.
        state = dict(self.__dict__)
        del state["directions"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.directions = [np.empty(shape, dtype) for shape, dtype in self._specs]


class SGD(_Optimizer):
    """Plain steps ``p <- p + rate * direction``, after the L2 shrink of the weights."""

    def step(self, weights, biases, rates, n_samples, weight_decay=0.0):
        n_weights = len(weights)
        for k, (p, g) in enumerate(zip(list(weights) + list(biases), self.directions)):
            rate = rates[k % n_weights]
            if weight_decay and k < n_weights:
                p *= 1.0 - rate * weight_decay / n_samples
            g *= rate
            p += g


class Adam(_Optimizer):
    """Adam moments of the weights and biases of one network.

    Parameters
    ----------
    weights, biases : list of ndarray
        The parameters (only their shapes and dtype are used).
    beta_1, beta_2, epsilon : float
        Adam's decay rates of the first and second moments and its numerical
        stabiliser (Kingma & Ba, 2015; scikit-learn's MLP uses the same defaults).
    """

    def __init__(self, weights, biases, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(weights, biases)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.first_moments = [np.zeros_like(p) for p in self.directions]
        self.second_moments = [np.zeros_like(p) for p in self.directions]
        self.t = 0

    def copy(self):
        new = super().copy()
        new.first_moments = [m.copy() for m in self.first_moments]
        new.second_moments = [v.copy() for v in self.second_moments]
        return new

    def state(self):
        """The moments and step count as plain data (copies), to store on an estimator."""
        return {
            "t": self.t,
            "first_moments": [m.copy() for m in self.first_moments],
            "second_moments": [v.copy() for v in self.second_moments],
        }

    @classmethod
    def from_state(cls, weights, biases, state):
        """Adam resuming from :meth:`state`, or from scratch if ``state`` does not fit."""
        adam = cls(weights, biases)
        if state is not None and [m.shape for m in state["first_moments"]] == [
            m.shape for m in adam.first_moments
        ]:
            adam.t = int(state["t"])
            for mine, saved in zip(adam.first_moments + adam.second_moments,
                                   state["first_moments"] + state["second_moments"]):
                mine[...] = saved
        return adam

    def step(self, weights, biases, rates, n_samples, weight_decay=0.0):
        """One Adam step along ``directions`` (the ascent direction), in place.

        The gradient of each weight is minus its direction, plus
        ``weight_decay * W / n`` for the L2 penalty ``weight_decay / (2 n) ||W||^2``
        of a minibatch of ``n`` samples (scikit-learn MLP's ``alpha``); the
        biases are not penalised. ``rates[k]`` is the step size of ``W_k`` and
        of the biases of layer ``k + 1``.
        """
        n_weights = len(weights)
        directions = self.directions
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        correction = np.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        params = list(weights) + list(biases)
        layer_rates = list(rates) + list(rates)
        n = n_samples
        for k, (p, g, m, v, rate) in enumerate(zip(
            params, directions, self.first_moments, self.second_moments, layer_rates
        )):
            # g holds the ascent direction -dC/dp: turn it into the gradient.
            np.negative(g, out=g)
            if weight_decay and k < n_weights:
                g += (weight_decay / n) * p
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            np.multiply(g, g, out=g)
            g *= 1.0 - b2
            v += g
            # g is free again: the step -rate * m_hat / (sqrt(v_hat) + eps).
            np.sqrt(v, out=g)
            g += self.epsilon
            np.divide(m, g, out=g)
            g *= rate * correction
            p -= g
