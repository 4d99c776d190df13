"""Optimizers that follow the EqProp estimate of the gradient.

The contrastive term of Equilibrium Propagation (paper, Eq. 10 and 13) estimates
minus the gradient of the cost with respect to each parameter. The paper follows
it with plain stochastic steps (:class:`SGD`; for a network without readout the
fused :func:`~sk_eqprop._core.update.apply_contrastive_update` does the same in
fewer passes). :class:`Adam` follows it with the adaptive steps of Kingma & Ba
(2015), which scikit-learn's MLP uses by default: every parameter moves by about
its learning rate per step whatever the scale of its gradient, so one set of rates
suits inputs, layer widths and dataset sizes of very different scales.

Every optimizer holds the per-layer learning rates (changed per epoch by a
schedule, :func:`scheduled_rates`) and the L2 penalty, and offers one call,
``update(x, reference, nudged, beta, weights, biases, ...)``, that computes the
EqProp estimate and moves the parameters in place.
"""

import numpy as np

from .readout import readout_direction
from .update import apply_contrastive_update, contrastive_direction

SCHEDULES = ("constant", "cosine")


def scheduled_rates(learning_rates, schedule, epoch, n_epochs):
    """The learning rates of epoch ``epoch`` (0-based) of ``n_epochs``.

    ``"constant"`` keeps them (the paper); ``"cosine"`` multiplies them by
    ``(1 + cos(pi * t / n_epochs)) / 2`` with ``t = min(epoch, n_epochs - 1)``.
    """
    if schedule == "constant":
        return tuple(learning_rates)
    if schedule != "cosine":
        raise ValueError(f"Unknown schedule {schedule!r}; expected one of {SCHEDULES}.")
    t = min(epoch, n_epochs - 1)
    factor = 0.5 * (1.0 + np.cos(np.pi * t / n_epochs))
    return tuple(rate * factor for rate in learning_rates)


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
    h_last, outputs, target, link = readout
    readout_direction(h_last, outputs, target, weight_out[-1], bias_out[-1], sample_weight,
                      link)


class _Optimizer:
    """Moves the parameters along the EqProp estimate, at per-layer rates, with an L2 penalty.

    Parameters
    ----------
    weights, biases : list of ndarray
        The parameters (only their shapes and dtype are used here).
    learning_rates : sequence of float
        One rate per weight layer; the biases of a layer use the rate of the
        weights into it. :meth:`set_rates` changes them (a schedule).
    alpha : float, default=0.0
        Strength of the L2 penalty ``alpha / (2 n) ||W_k||^2`` of a minibatch of
        ``n`` samples on the weights (scikit-learn MLP's ``alpha``); the biases
        are not penalised.
    """

    def __init__(self, weights, biases, learning_rates, alpha=0.0):
        self.rates = tuple(float(r) for r in learning_rates)
        self.alpha = float(alpha)
        self.directions = [np.empty_like(p) for p in list(weights) + list(biases)]

    def set_rates(self, rates):
        self.rates = tuple(float(r) for r in rates)

    def copy(self):
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.directions = [np.empty_like(d) for d in self.directions]
        return new

    def update(self, x, reference, nudged, beta, weights, biases, *, readout=None,
               sample_weight=None):
        """One step from the contrastive term of ``nudged`` against ``reference``.

        ``readout``: ``(h_last, outputs, target, link)`` at the free fixed point when the
        network reads its outputs outside the energy (see :func:`eqprop_direction`).
        """
        eqprop_direction(x, reference, nudged, beta, weights, self.directions,
                         readout=readout, sample_weight=sample_weight)
        self._step(weights, biases, x.shape[0])


class ContrastiveSGD(_Optimizer):
    """The paper's update, ``W_k <- W_k + rate_k / beta * (...)``, fused in place.

    :func:`~sk_eqprop._core.update.apply_contrastive_update` computes and adds
    the contrastive term with one matrix product per layer, into a workspace of
    weight-shaped arrays. For networks without readout only.
    """

    def __init__(self, weights, biases, learning_rates, alpha=0.0):
        super().__init__(weights, biases, learning_rates, alpha)
        self.directions = None  # the fused update needs none
        self._products = None

    def copy(self):
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._products = None
        return new

    def update(self, x, reference, nudged, beta, weights, biases, *, readout=None,
               sample_weight=None):
        if readout is not None:
            raise ValueError("ContrastiveSGD updates networks without readout only.")
        if self._products is None:
            self._products = [np.empty_like(W) for W in weights]
        apply_contrastive_update(
            x, reference, nudged, beta, weights, biases, self.rates,
            workspace=self._products, sample_weight=sample_weight, alpha=self.alpha,
        )


class SGD(_Optimizer):
    """Plain steps ``p <- p + rate * direction``, after the L2 shrink of the weights."""

    def _step(self, weights, biases, n_samples):
        n_weights = len(weights)
        for k, (p, g) in enumerate(zip(list(weights) + list(biases), self.directions)):
            rate = self.rates[k % n_weights]
            if self.alpha and k < n_weights:
                p *= 1.0 - rate * self.alpha / n_samples
            g *= rate
            p += g


class Adam(_Optimizer):
    """Adam steps (Kingma & Ba, 2015) along the EqProp estimate.

    ``beta_1``, ``beta_2`` and ``epsilon`` are Adam's decay rates of the first
    and second moments and its numerical stabiliser (scikit-learn's MLP uses
    the same defaults). The L2 penalty enters the gradient, as in MLP.
    """

    def __init__(self, weights, biases, learning_rates, alpha=0.0, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8):
        super().__init__(weights, biases, learning_rates, alpha)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.first_moments = [np.zeros_like(p) for p in self.directions]
        self.second_moments = [np.zeros_like(p) for p in self.directions]
        self._scratch = [np.empty_like(p) for p in self.directions]  # no temporaries per step
        self.t = 0

    def copy(self):
        new = super().copy()
        new.first_moments = [m.copy() for m in self.first_moments]
        new.second_moments = [v.copy() for v in self.second_moments]
        new._scratch = [np.empty_like(p) for p in self._scratch]
        return new

    def state(self):
        """The moments and step count as plain data (copies), to store on an estimator."""
        return {
            "t": self.t,
            "first_moments": [m.copy() for m in self.first_moments],
            "second_moments": [v.copy() for v in self.second_moments],
        }

    def load_state(self, state):
        """Resume from :meth:`state`; a state of other shapes (or None) is ignored."""
        if state is None or [m.shape for m in state["first_moments"]] != [
            m.shape for m in self.first_moments
        ]:
            return self
        self.t = int(state["t"])
        for mine, saved in zip(self.first_moments + self.second_moments,
                               state["first_moments"] + state["second_moments"]):
            mine[...] = saved
        return self

    def _step(self, weights, biases, n_samples):
        n_weights = len(weights)
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        correction = np.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        params = list(weights) + list(biases)
        for k, (p, g, m, v, tmp) in enumerate(zip(
            params, self.directions, self.first_moments, self.second_moments, self._scratch
        )):
            rate = self.rates[k % n_weights]
            # g holds the ascent direction -dL/dp: turn it into the gradient.
            np.negative(g, out=g)
            if self.alpha and k < n_weights:
                g += np.multiply(p, self.alpha / n_samples, out=tmp)
            m *= b1
            m += np.multiply(g, 1.0 - b1, out=tmp)
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
