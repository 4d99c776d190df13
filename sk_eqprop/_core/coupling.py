"""A bound on the couplings between relaxing layers, which keeps the energy convex.

Inside ``[0, 1]`` the energy of the free layers is the quadratic
``E = 1/2 s^T (I - A) s - (linear terms)``, where ``A`` holds the couplings
``W_k`` between two free layers (the input's weights and a readout's are not
couplings: the input is clamped and the readout is outside the energy). While
``I - A`` is positive definite, ``E`` (and ``F = E + beta L`` for a convex cost
``L``) is strictly convex on the box ``[0, 1]^n``: the free and nudged phases then
have one fixed point each, which every start and both dynamics reach, and the
nudged fixed point moves smoothly with ``beta`` (paper, Theorem 1 needs the
fixed point to be a differentiable function of the parameters). Without a bound,
training grows the couplings until ``I - A`` is nearly singular on the
unsaturated units: the energy has several minima, the relaxation slows down, and
a nudge moves the states far beyond the linear response that the EqProp
estimate assumes.

For a chain of free layers every unit sees at most two couplings, and
``||A|| <= 2 cos(pi / (n + 1)) max_k ||W_k||_2`` for ``n`` free layers (the
spectral radius of the path graph), so a bound ``c`` on every coupling's
largest singular value gives ``||A|| <= c`` for two free layers and
``||A|| <= 1.41 c`` for three. Saturated units (about half of them) do not
couple, so the part of ``I - A`` that matters, restricted to the unsaturated
units, is usually better conditioned than the bound says; for three layers and
more a bound below 1 / 1.41 would be needed to guarantee convexity.

The largest singular value is estimated by power iteration from a vector kept
across steps (as in the spectral normalisation of Miyato et al., 2018): the
weights move little per step, so a few iterations per step track it. A coupling
whose estimate exceeds the bound is scaled down onto it.
"""

import numpy as np

# Power iterations per training step, from the previous step's vector.
N_POWER_ITERATIONS = 5

# Vectors are kept away from zero norm by this much before they are normalised.
TINY_NORM = 1e-30


def coupling_indices(n_weights, readout):
    """Indices of the weight matrices that couple two free layers.

    ``weights[0]`` connects the clamped input; with a readout outside the energy
    the last matrix is the readout's.
    """
    return tuple(range(1, n_weights - 1 if readout else n_weights))


def initial_vectors(weights, indices):
    """The start of the power iteration: a normalised vector of ones per coupling."""
    return [np.full(weights[k].shape[1], 1.0 / np.sqrt(weights[k].shape[1]),
                    dtype=weights[k].dtype) for k in indices]


def largest_singular_value(weight, vector, n_iter=N_POWER_ITERATIONS):
    """Power-iteration estimate of ``||weight||_2`` from ``vector`` (updated in place).

    ``vector`` is an estimate of the top right singular vector (shape
    ``(weight.shape[1],)``); the estimate never exceeds the true value.
    """
    sigma = 0.0
    for _ in range(n_iter):
        left = weight @ vector
        left /= max(float(np.linalg.norm(left)), TINY_NORM)
        right = weight.T @ left
        sigma = float(np.linalg.norm(right))
        np.divide(right, max(sigma, TINY_NORM), out=vector)
    return sigma


def bound_couplings(weights, indices, vectors, bound, n_iter=N_POWER_ITERATIONS):
    """Scale every coupling ``weights[k]`` (``k`` in ``indices``) whose largest singular
    value exceeds ``bound`` down onto it, in place; ``vectors`` are updated."""
    for k, vector in zip(indices, vectors):
        sigma = largest_singular_value(weights[k], vector, n_iter)
        if sigma > bound:
            weights[k] *= bound / sigma
