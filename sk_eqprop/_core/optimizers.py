"""Optimizers that follow the EqProp estimate of the gradient.

The contrastive term of Equilibrium Propagation (paper, Eq. 10 and 13) estimates
minus the gradient of the cost with respect to each parameter
(:func:`~sk_eqprop._core.update.eqprop_direction` computes it). An optimizer
consumes that estimate, as scikit-learn's ``update_params(params, grads)`` does
a gradient: :class:`SGD` takes the paper's plain stochastic steps, :class:`Adam`
the adaptive steps of Kingma & Ba (2015), which scikit-learn's MLP uses by
default: every parameter moves by about its learning rate per step whatever the
scale of its gradient, so one set of rates suits inputs, layer widths and
dataset sizes of very different scales.

Every optimizer holds the per-layer learning rates (changed per epoch by a
schedule, :func:`scheduled_rates`) and the L2 penalty.
"""

import numpy as np

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
        self.n_weights = len(weights)

    def set_rates(self, rates):
        self.rates = tuple(float(r) for r in rates)

    def copy(self):
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def update_params(self, params, directions, n_samples):
        """One step of ``params`` (weights, then biases; updated in place) along
        ``directions``, the EqProp estimate of ``-dL/dparams`` of a minibatch of
        ``n_samples`` samples. ``directions`` is used as scratch space."""
        raise NotImplementedError


class SGD(_Optimizer):
    """Plain steps ``p <- p + rate * direction``, after the L2 shrink of the weights
    (the paper's update, ``W_k <- W_k + alpha_k / beta * (...)``, Eq. 13)."""

    def update_params(self, params, directions, n_samples):
        n_weights = self.n_weights
        for k, (p, g) in enumerate(zip(params, directions)):
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
        shapes = list(weights) + list(biases)
        self.first_moments = [np.zeros_like(p) for p in shapes]
        self.second_moments = [np.zeros_like(p) for p in shapes]
        self._scratch = [np.empty_like(p) for p in shapes]  # no temporaries per step
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

    def update_params(self, params, directions, n_samples):
        n_weights = self.n_weights
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        correction = np.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        for k, (p, g, m, v, tmp) in enumerate(zip(
            params, directions, self.first_moments, self.second_moments, self._scratch
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
