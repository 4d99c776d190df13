"""Relaxation of the free layers on JAX arrays: the two dynamics of
:mod:`sk_eqprop._core.relaxation`, written as pure functions to be traced.

The free layers are a tuple of arrays, one per layer (``(n_samples, n_k)``),
rather than the NumPy path's single side-by-side array: XLA fuses the
elementwise passes of each layer into its products either way. Every sample
relaxes on its own, exactly as in the NumPy path; with a tolerance, a sample
that has settled is frozen (masked) rather than moved out of the batch.
"""

from typing import NamedTuple

import jax.numpy as jnp
from jax import lax

from .._core.readout import loss_scale
from .._core.relaxation import READOUT_CURVATURE


class Readout(NamedTuple):
    """A readout layer outside the energy: ``link(h_last weight + bias)``."""

    weight: object
    bias: object
    link: str


def readout_outputs(h_last, readout):
    """``link(h_last @ weight + bias)``, as :func:`sk_eqprop._core.readout.readout_outputs`."""
    z = h_last @ readout.weight + readout.bias
    if readout.link == "softmax":
        z = jnp.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)
    if readout.link == "logistic":
        return 1.0 / (1.0 + jnp.exp(-jnp.clip(z, -500.0, 500.0)))
    return z


def _transposed(weights):
    """The transposes of ``weights[1:]``, made once per relaxation rather than at
    every step of its loop."""
    return [None] + [W.T for W in weights[1:]]


def _neighbour_drive(k, layers, weights, weights_t):
    """``s_{k-1} W_k + s_{k+1} W_{k+1}^T``: the input of free layer ``k`` from its
    free neighbours (``weights[0]`` is not read; its part is the input's drive);
    ``weights_t``: :func:`_transposed`."""
    drive = None
    if k > 0:
        drive = layers[k - 1] @ weights[k]
    if k + 1 < len(layers):
        top_down = layers[k + 1] @ weights_t[k + 1]
        drive = top_down if drive is None else drive + top_down
    return jnp.zeros_like(layers[k]) if drive is None else drive


def _constant_drives(x_drive, biases, beta, target, nudged, readout):
    """What stays constant during a relaxation: the input's drive and the biases, plus
    the nudge ``beta d`` of an output layer in the energy (paper, Eq. 43)."""
    const = [x_drive + biases[0]] + list(biases[1:])
    if nudged and readout is None:
        const[-1] = const[-1] + beta * target
    return const


def _readout_force(h_last, readout, weight_t, target, strength):
    """``strength (d - p(h)) W_out^T``: the readout's nudge on the last hidden layer
    (``weight_t``: ``W_out^T``, made once per relaxation)."""
    p = readout_outputs(h_last, readout)
    return ((target - p) * strength) @ weight_t


def _readout_damping(beta, readout, n_outputs):
    """The damping of the readout's layerwise step, as
    :func:`sk_eqprop._core.relaxation.readout_damping`."""
    curvature = READOUT_CURVATURE[readout.link] * loss_scale(readout.link, n_outputs)
    gram = readout.weight.T @ readout.weight
    lam = jnp.max(jnp.abs(beta)) * curvature * jnp.linalg.eigvalsh(gram)[-1]
    return jnp.where(lam >= 1.0, lam, 0.0)


def gradient_step(x_drive, weights, biases, epsilon, *, beta=0.0, target=None, readout=None,
                  nudged=False):
    """One step of Eq. 43 for every layer at once: ``s <- clip(s - epsilon dF/ds, 0, 1)``,
    written ``clip((1 - eps) s + eps drive)`` (``1 - eps - eps beta`` for a nudged output)."""
    n_free = len(biases)
    const = [epsilon * c for c in _constant_drives(x_drive, biases, beta, target, nudged,
                                                   readout)]
    decay = [1.0 - epsilon] * n_free
    if nudged and readout is None:
        decay[-1] = 1.0 - epsilon - epsilon * beta
    scaled = [None] + [epsilon * W for W in weights[1:]]
    scaled_t = _transposed(scaled)
    nudge_readout = nudged and readout is not None
    if nudge_readout:
        strength = epsilon * beta * loss_scale(readout.link, target.shape[1])
        readout_t = readout.weight.T

    def step(layers):
        new = []
        for k in range(n_free):
            drive = _neighbour_drive(k, layers, scaled, scaled_t)
            if nudge_readout and k == n_free - 1:
                drive = drive + _readout_force(layers[k], readout, readout_t, target, strength)
            new.append(jnp.clip(layers[k] * decay[k] + (drive + const[k]), 0.0, 1.0))
        return tuple(new)

    return step


def layerwise_step(x_drive, weights, biases, *, beta=0.0, target=None, readout=None,
                   nudged=False):
    """One sweep of exact block-coordinate descent: odd free layers, then even ones, each
    set to its minimiser ``clip(drive, 0, 1)`` given its neighbours (the nudged output:
    ``clip((drive + beta d) / (1 + beta), 0, 1)``, or 0 / 1 where ``1 + beta <= 0``)."""
    n_free = len(biases)
    last = n_free - 1
    const = _constant_drives(x_drive, biases, beta, target, nudged, readout)
    order = [k for k in range(n_free) if k % 2 == 1] + [k for k in range(n_free) if k % 2 == 0]
    weights_t = _transposed(weights)
    nudge_energy = nudged and readout is None
    nudge_readout = nudged and readout is not None
    if nudge_energy:
        curvature = 1.0 + beta
        concave = curvature <= 0
        output_scale = 1.0 / jnp.where(concave, 1.0, curvature)
    if nudge_readout:
        strength = beta * loss_scale(readout.link, target.shape[1])
        readout_t = readout.weight.T
        damping = _readout_damping(beta, readout, target.shape[1])

    def step(layers):
        layers = list(layers)
        for k in order:
            if k == last and nudge_readout:
                # The readout's nudge, linearised at the current state, damped where it
                # could oscillate (sk_eqprop._core.relaxation.readout_damping).
                force = _readout_force(layers[k], readout, readout_t, target, strength)
                out = _neighbour_drive(k, layers, weights, weights_t) + const[k] + (force + damping * layers[k])
                layers[k] = jnp.clip(out * (1.0 / (1.0 + damping)), 0.0, 1.0)
                continue
            out = _neighbour_drive(k, layers, weights, weights_t) + const[k]
            if k == last and nudge_energy:
                # Concave in y where 1 + beta <= 0: the minimum is at 0 or 1, and
                # F(1) - F(0) = (1 + beta) / 2 - (drive + beta d).
                snapped = (out > (1.0 + beta) / 2.0).astype(out.dtype)
                out = jnp.where(concave, snapped, jnp.clip(out * output_scale, 0.0, 1.0))
                layers[k] = out
                continue
            layers[k] = jnp.clip(out, 0.0, 1.0)
        return tuple(layers)

    return step


def make_step(method, x_drive, weights, biases, epsilon, **nudge):
    """The step of ``method`` ("gradient" or "layerwise") for one relaxation."""
    if method == "gradient":
        return gradient_step(x_drive, weights, biases, epsilon, **nudge)
    return layerwise_step(x_drive, weights, biases, **nudge)


def relax(step, layers, n_iter, tol=None, *, single_sweep=False, active=None):
    """Relax ``layers`` with ``step``, as :func:`sk_eqprop._core.relaxation.relax`.

    ``n_iter`` (static) steps, or, with ``tol``, until no unit of a sample moved by
    more than ``tol`` in its last step, per sample: a settled sample is frozen at
    that step's state, the others go on. ``single_sweep``: one layerwise sweep is
    exact (a single free layer with nothing nudging it from the state). ``active``
    (with ``tol``): the rows to relax; the others (padding) are never moved.

    Returns the relaxed layers and the steps taken by each sample.
    """
    n = layers[0].shape[0]
    if single_sweep:
        return step(layers), jnp.ones(n, jnp.int32)
    if tol is None:
        layers = lax.fori_loop(0, n_iter, lambda _, s: step(s), tuple(layers))
        return layers, jnp.full(n, n_iter, jnp.int32)

    def moving_rows(carry):
        iteration, _, moving, _ = carry
        return (iteration < n_iter) & moving.any()

    def body(carry):
        iteration, layers, moving, n_steps = carry
        stepped = step(layers)
        change = jnp.stack([jnp.abs(new - old).max(axis=1)
                            for new, old in zip(stepped, layers)]).max(axis=0)
        layers = tuple(jnp.where(moving[:, None], new, old) for new, old in zip(stepped, layers))
        iteration = iteration + 1
        settled = moving & (change <= tol)
        n_steps = jnp.where(settled, iteration, n_steps)
        return iteration, layers, moving & ~settled, n_steps

    moving = jnp.ones(n, bool) if active is None else active
    init = (jnp.int32(0), tuple(layers), moving, jnp.zeros(n, jnp.int32))
    _, layers, moving, n_steps = lax.while_loop(moving_rows, body, init)
    return layers, jnp.where(moving, n_iter, n_steps)
