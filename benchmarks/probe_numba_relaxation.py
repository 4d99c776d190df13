"""Would a compiled kernel make the 784-500-10 relaxation cheap enough? A numba probe.

The package is plain NumPy (numba is not a dependency: it publishes no wheels for musl
Linux). This probe compiles the paper's free phase (Eq. 43, 20 steps, epsilon 0.5) for
one hidden layer as one fused numba loop per sample, checks it against the package's
NumPy relaxation, and times both on minibatches of 20 in the same process. It needs
numba installed (``pip install numba``) and exits with a message otherwise.

    python benchmarks/probe_numba_relaxation.py
"""

import sys
import time

import numpy as np
from sklearn.utils import check_random_state

from sk_eqprop._core import glorot_uniform
from sk_eqprop._core.relaxation import _GradientStepper

try:
    from numba import njit
except ImportError:
    sys.exit("numba is not installed: pip install numba, then rerun this probe.")


@njit(fastmath=True, boundscheck=False)
def relax_one_hidden_layer(const_h, const_y, h_all, y_all, W1T, decay, n_iter):
    """Eq. 43 for a 1-hidden-layer net, sample by sample: all units move at once.

    ``const_*`` are ``epsilon * (input drive + bias)``, ``W1T`` is ``epsilon * W_1^T``
    (outputs x hidden, contiguous), ``decay`` is ``1 - epsilon``.
    """
    n, n_hidden = h_all.shape
    n_out = y_all.shape[1]
    new_h = np.empty(n_hidden, np.float32)
    new_y = np.empty(n_out, np.float32)
    zero, one = np.float32(0.0), np.float32(1.0)
    for i in range(n):
        h, y = h_all[i], y_all[i]
        for _ in range(n_iter):
            for u in range(n_hidden):
                new_h[u] = const_h[i, u] + decay * h[u]
            for v in range(n_out):
                a, w = y[v], W1T[v]
                for u in range(n_hidden):
                    new_h[u] += a * w[u]
            for v in range(n_out):
                w = W1T[v]
                acc = np.float32(0.0)
                for u in range(n_hidden):
                    acc += w[u] * h[u]
                new_y[v] = acc + const_y[i, v] + decay * y[v]
            for u in range(n_hidden):
                h[u] = min(max(new_h[u], zero), one)
            for v in range(n_out):
                y[v] = min(max(new_y[v], zero), one)


def main():
    weights, biases = glorot_uniform([784, 500, 10], check_random_state(0), dtype=np.float32)
    x = np.random.default_rng(0).random((20, 784), dtype=np.float32)
    x_drive = x @ weights[0]
    eps, n_iter = 0.5, 20

    def numpy_phase():
        states = np.zeros((20, 510), np.float32)
        step = _GradientStepper(x_drive, states, weights, biases, 0.0, None, eps)
        for _ in range(n_iter):
            step()
        return states

    const = eps * np.hstack([x_drive + biases[0], np.tile(biases[1], (20, 1))]).astype(np.float32)
    const_h, const_y = np.ascontiguousarray(const[:, :500]), np.ascontiguousarray(const[:, 500:])
    W1T = np.ascontiguousarray((eps * weights[1]).T)

    def numba_phase():
        h, y = np.zeros((20, 500), np.float32), np.zeros((20, 10), np.float32)
        relax_one_hidden_layer(const_h, const_y, h, y, W1T, np.float32(1 - eps), n_iter)
        return np.hstack([h, y])

    difference = np.abs(numba_phase() - numpy_phase()).max()
    print(f"largest difference between the two free phases: {difference:.1e}")
    for round_ in range(3):
        for name, phase in (("numba", numba_phase), ("NumPy", numpy_phase)):
            start = time.perf_counter()
            for _ in range(500):
                phase()
            micro = (time.perf_counter() - start) / 500 * 1e6
            print(f"round {round_ + 1}, {name}: {micro:.0f} us per 20-step free phase of 20 "
                  f"samples ({micro / n_iter:.1f} us per step)")


if __name__ == "__main__":
    main()
