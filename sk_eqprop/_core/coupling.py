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

For a chain of ``n`` free layers every unit sees at most two couplings, and
``||A|| <= 2 cos(pi / (n + 1)) max_k ||W_k||_2`` (the spectral radius of the path
graph): a bound ``c`` on every coupling's largest singular value gives
``||A|| <= c`` for two free layers, ``||A|| <= 1.41 c`` for three and
``||A|| <= 1.62 c`` for four. :func:`auto_coupling_bound` keeps ``||A||`` at
``AUTO_CHAIN_NORM`` whatever the depth.

After every training step each coupling is projected onto the bound: the
nearest matrix (in Frobenius norm) whose singular values are at most ``c``, that
is, every singular value above ``c`` is clipped to ``c`` and the others are left
alone. Scaling the whole matrix down instead (spectral normalisation, Miyato et
al. 2018) also shrinks every direction the gradient did not grow, step after
step: the couplings collapse towards rank one, and a deep network passes one
number from layer to layer.
"""

import numpy as np

# The bound on ||A|| (the couplings of the whole chain of free layers) that the
# default per-coupling bound keeps, below 1 so that I - A stays well conditioned.
AUTO_CHAIN_NORM = 0.8


def coupling_indices(n_weights, readout):
    """Indices of the weight matrices that couple two free layers.

    ``weights[0]`` connects the clamped input; with a readout outside the energy
    the last matrix is the readout's.
    """
    return tuple(range(1, n_weights - 1 if readout else n_weights))


def auto_coupling_bound(n_free_layers):
    """The per-coupling bound that keeps ``||A|| <= AUTO_CHAIN_NORM`` for a chain of
    ``n_free_layers`` free layers (see the module docstring)."""
    return AUTO_CHAIN_NORM / max(2.0 * np.cos(np.pi / (n_free_layers + 1)), 1.0)


def project_onto_bound(weight, bound):
    """Clip every singular value of ``weight`` above ``bound`` to ``bound``, in place.

    With ``M = U S V^T`` (``M`` the weight, or its transpose if it is wide, so that
    the Gram matrix ``M^T M = V S^2 V^T`` is the smaller one),
    ``M - M V_k diag(1 - bound / s_k) V_k^T = U (min(S, bound)) V^T`` over the
    singular values ``s_k > bound``.
    """
    tall = weight if weight.shape[0] >= weight.shape[1] else weight.T
    eigenvalues, vectors = np.linalg.eigh(tall.T @ tall)
    excess = eigenvalues > bound * bound
    if excess.any():
        vectors = vectors[:, excess]
        shrink = 1.0 - bound / np.sqrt(eigenvalues[excess])
        tall -= ((tall @ vectors) * shrink) @ vectors.T  # a view: writes into weight


def bound_couplings(weights, indices, bound):
    """Project every coupling ``weights[k]`` (``k`` in ``indices``) onto ``bound``, in place."""
    for k in indices:
        project_onto_bound(weights[k], bound)
