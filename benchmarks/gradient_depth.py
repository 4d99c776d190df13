"""Per-layer alignment of the EqProp update with the true gradient, by depth.

For one, two and three hidden layers of 100 units, an ``EqPropClassifier`` is trained
on each dataset and, after 1 and after ``--epochs`` epochs, the update it trains with
(``gradient_alignment(..., phases="training")``: the estimator's own beta, caps and
tolerances) is compared with the gradient of the readout's loss at the free fixed point
(implicit differentiation), on ``--samples`` training samples. It prints the cosine and
the norm ratio of every weight layer (the readout's, exact by construction, is left
out), the mean relaxation sweeps of the free and nudged phases, and the smallest
eigenvalue over the samples of the Hessian of the energy restricted to each sample's
unsaturated units at the free fixed point (``I - A_II``; near 0 the energy is nearly
flat there, the nudged phase converges slowly and responds far beyond linearly).

Two settings are compared: ``now`` (the defaults) and ``before`` (the defaults of the
previous release where they differ: ``beta=0.2``, ``alpha=1.0``, ``n_iter_nudged=4``
with the absolute ``relax_tol``, no bound on the couplings).

    python benchmarks/gradient_depth.py
    python benchmarks/gradient_depth.py --datasets moons --epochs 40
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_moons

from sk_eqprop import EqPropClassifier
from sk_eqprop.inspection import free_phase, gradient_alignment
from sk_eqprop.inspection._alignment import _coupling_matrix

SETTINGS = {
    "now": {},
    "before": dict(beta=0.2, alpha=1.0, n_iter_nudged=4, coupling_bound=None),
}


def datasets():
    X_digits, y_digits = load_digits(return_X_y=True)
    return {
        "digits": (X_digits, y_digits),
        "moons": make_moons(n_samples=600, noise=0.25, random_state=0),
    }


def smallest_eigenvalue(clf, X):
    """min over samples of lambda_min(I - A_II) at the free fixed point."""
    states, _ = free_phase(clf, X, tol=clf.relax_tol)
    coupling = _coupling_matrix(clf.coefs_[:-1])
    interior = ((states > 0) & (states < 1)).astype(float)
    hessian = np.eye(states.shape[1]) - interior[:, :, None] * coupling * interior[:, None, :]
    return float(np.linalg.eigvalsh(hessian).min())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=["digits", "moons"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--figure", help="write a PNG of the cosines after the last epoch")
    args = parser.parse_args(argv)
    data = datasets()
    print(f"{'data':7s} {'hidden':15s} {'setting':7s} {'epoch':>5s}  cosine per weight layer "
          f"(input first) | norm ratio | sweeps free, nudged | min eig")
    worst, last = {}, {}
    start = time.perf_counter()
    for name in args.datasets:
        X, y = data[name]
        for depth in (1, 2, 3):
            hidden = (args.width,) * depth
            for setting, params in SETTINGS.items():
                clf = EqPropClassifier(hidden_layer_sizes=hidden, max_iter=1, warm_start=True,
                                       random_state=args.random_state, **params)
                for epoch in range(1, args.epochs + 1):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        clf.fit(X, y)
                    if epoch not in (1, args.epochs):
                        continue
                    result = gradient_alignment(clf, X[:args.samples], y[:args.samples],
                                                phases="training")
                    cosines = result["cosine"][:depth]  # the readout's is exact
                    ratios = result["norm_ratio"][:depth]
                    key = (depth, setting)
                    worst[key] = min(worst.get(key, 1.0), min(cosines))
                    if epoch == args.epochs:
                        last[(name, depth, setting)] = cosines
                    print(f"{name:7s} {str(hidden):15s} {setting:7s} {epoch:5d}  "
                          + " ".join(f"{c:6.3f}" for c in cosines) + " | "
                          + " ".join(f"{r:5.2f}" for r in ratios)
                          + " | {:.1f}, {:.1f}".format(*result["n_iter"])
                          + f" | {smallest_eigenvalue(clf, X[:args.samples]):.3f}", flush=True)
    print()
    for (depth, setting), value in sorted(worst.items()):
        print(f"SUMMARY {depth} hidden layer(s), {setting}: lowest cosine {value:.3f}"
              + (" (>= 0.95)" if value >= 0.95 else " (< 0.95)"))
    print(f"total {time.perf_counter() - start:.0f}s")
    if args.figure:
        draw(last, args, args.figure)


def draw(last, args, path):
    """One panel per dataset: the cosine of each weight layer, by depth and setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted({key[0] for key in last}, key=args.datasets.index)
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        ticks, labels, x = [], [], 0.0
        for depth in (1, 2, 3):
            for layer in range(depth):
                for offset, (setting, color) in enumerate((("before", "0.6"), ("now", "C0"))):
                    value = last.get((name, depth, setting))
                    if value is not None:
                        ax.bar(x + 0.4 * offset, value[layer], width=0.4, color=color,
                               label=setting if (depth, layer) == (1, 0) else None)
                ticks.append(x + 0.2)
                labels.append(f"{depth}:W{layer}")
                x += 1.0
            x += 0.6
        ax.axhline(0.95, color="C3", lw=1, ls=":")
        ax.set_xticks(ticks, labels, fontsize="small")
        ax.set_ylim(min(0.0, min(min(v) for v in last.values())), 1.02)
        ax.set_ylabel("cosine with the true gradient")
        ax.set_title(f"{name}, after {args.epochs} epochs (depth:weight layer)")
        ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"figure written to {path}")


if __name__ == "__main__":
    main()
