"""Where a compiled minibatch of the paper's 784-500-10 network spends its time.

Times, on the JAX backend (float32, compiled epochs, best of ``--rounds``), an
epoch of the paper's 784-500-10 preset as it is, without persistent particles,
and with one free and one nudged step instead of 20 and 4; then, each alone,
the two products every method shares (``x W_0`` and ``x^T delta``, 20 x 784 x
500) in NumPy and compiled, and one gradient step of the relaxation (two 20 x
500 x 10 products and two fused clips) in a compiled loop and in NumPy. Nothing
else should run at the same time.

    python benchmarks/bench_jax_minibatch.py
"""

import argparse
import time
import warnings

import numpy as np
from _common import load_data

from sk_eqprop import EqPropClassifier, paper_hyperparameters


def per_call(f, n):
    f()
    start = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - start) / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", help="path of mnist.pkl.gz (default: ../shared/data)")
    args = parser.parse_args()
    import jax
    import jax.numpy as jnp
    from jax import lax

    mnist = load_data(args.data)
    X, y = mnist.X_train[:args.n_samples], mnist.y_train[:args.n_samples]
    n_batches = args.n_samples // 20
    preset = paper_hyperparameters("784-500-10")

    def epoch(**changes):
        params = dict(preset, max_iter=1, backend="jax", **changes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            EqPropClassifier(random_state=0, **params).fit(X, y)  # compiles
            return min(per_call(lambda: EqPropClassifier(random_state=0, **params).fit(X, y), 1)
                       for _ in range(args.rounds))

    print(f"JAX {jax.__version__} on {jax.devices()[0]}; {args.n_samples} images, batch 20")
    print(f"{'paper 784-500-10 epoch':42s} {'s/50k':>7s} {'us/minibatch':>13s}")
    for name, changes in [("as preset (20 + 4 steps, particles)", {}),
                          ("persistent_particles=False", dict(persistent_particles=False)),
                          ("n_iter_free=1, n_iter_nudged=1", dict(n_iter_free=1, n_iter_nudged=1))]:
        seconds = epoch(**changes)
        print(f"{name:42s} {seconds * 50000 / args.n_samples:7.2f} "
              f"{seconds / n_batches * 1e6:13.0f}")

    rng = np.random.RandomState(0)
    x = rng.rand(20, 784).astype(np.float32)
    W = rng.rand(784, 500).astype(np.float32)
    delta = rng.rand(20, 500).astype(np.float32)
    numpy_products = per_call(lambda: (x @ W, x.T @ delta), 2000)
    xj, Wj, dj = map(jnp.asarray, (x, W, delta))

    @jax.jit
    def products(xj, Wj, dj):
        def body(W, _):
            return W - 1e-3 * (xj.T @ ((xj @ W) * 1e-3)), None
        return lax.scan(body, Wj, None, length=100)[0]

    compiled_products = per_call(lambda: products(xj, Wj, dj).block_until_ready(), 50) / 100
    h = rng.rand(20, 500).astype(np.float32)
    out = rng.rand(20, 10).astype(np.float32)
    W1 = (rng.randn(500, 10) * 0.05).astype(np.float32)
    c1, c2 = rng.rand(20, 500).astype(np.float32), rng.rand(20, 10).astype(np.float32)

    @jax.jit
    def steps(h, out, W1, c1, c2):
        W1t = W1.T

        def step(_, s):
            h, out = s
            return (jnp.clip(h * 0.5 + (out @ W1t + c1), 0, 1),
                    jnp.clip(out * 0.5 + (h @ W1 + c2), 0, 1))
        return lax.fori_loop(0, 200, step, (h, out))

    args_j = tuple(map(jnp.asarray, (h, out, W1, c1, c2)))
    compiled_step = per_call(lambda: steps(*args_j)[0].block_until_ready(), 30) / 200

    def numpy_step():
        np.clip(h * 0.5 + (out @ W1.T + c1), 0, 1)
        np.clip(out * 0.5 + (h @ W1 + c2), 0, 1)

    print(f"\n{'alone':42s} {'NumPy us':>9s} {'compiled us':>12s}")
    print(f"{'x W_0 and x^T delta (20 x 784 x 500)':42s} {numpy_products * 1e6:9.1f} "
          f"{compiled_products * 1e6:12.1f}")
    print(f"{'one gradient step (two 20 x 500 x 10)':42s} {per_call(numpy_step, 5000) * 1e6:9.1f} "
          f"{compiled_step * 1e6:12.1f}")


if __name__ == "__main__":
    main()
