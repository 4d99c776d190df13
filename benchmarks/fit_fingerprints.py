"""Fit a grid of NumPy-backend models and save, or compare bit for bit, their parameters.

A refactoring that must not change results: run ``save`` at the old revision and
``compare`` at the new one (the same machine and BLAS). 202 small models: every
combination of 1, 2 and 3 hidden layers, readout or energy output, Adam or SGD,
symmetric or random-sign nudging, layerwise or gradient relaxation, with and
without relax_tol and persistent particles, plus sample weights, sparse input,
multilabel targets, early stopping, three regressors, partial_fit and the cosine
schedule. ``compare`` prints the models that differ and by how much.

    python benchmarks/fit_fingerprints.py save /tmp/before.npz    # at the old revision
    python benchmarks/fit_fingerprints.py compare /tmp/before.npz # at the new one
"""
import itertools
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_regression

from sk_eqprop import EqPropClassifier, EqPropRegressor

warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X, y = X[:300], y[:300]
Y = np.stack([y % 2, y > 4, y % 3 == 0], axis=1).astype(int)
Xr, yr = make_regression(200, 8, n_targets=2, random_state=0)
w = np.random.RandomState(0).rand(300)
results = {}
configs = []
for hidden, output, solver, nudging, relaxation, tol, particles in itertools.product(
        [(20,), (16, 12), (12, 10, 8)], ["readout", "energy"], ["adam", "sgd"],
        ["symmetric", "random_sign"], ["layerwise", "gradient"], [None, 1e-3], [False, True]):
    configs.append(dict(hidden_layer_sizes=hidden, output=output, solver=solver, nudging=nudging,
                        relaxation=relaxation, relax_tol=tol, persistent_particles=particles))
for i, c in enumerate(configs):
    m = EqPropClassifier(max_iter=2, random_state=i, n_iter_free=8, **c).fit(X, y)
    results[f"c{i}"] = np.concatenate([p.ravel() for p in m.coefs_ + m.intercepts_])
extra = [
    ("sw", lambda: EqPropClassifier(max_iter=3, random_state=1).fit(X, y, sample_weight=w)),
    ("sparse", lambda: EqPropClassifier(max_iter=3, random_state=1).fit(sp.csr_matrix(X), y)),
    ("ml", lambda: EqPropClassifier(max_iter=3, random_state=1).fit(X, Y)),
    ("es", lambda: EqPropClassifier(max_iter=6, early_stopping=True, random_state=1).fit(X, y)),
    ("deep", lambda: EqPropClassifier((30, 30, 30), max_iter=3, random_state=1).fit(X, y)),
    ("reg", lambda: EqPropRegressor(max_iter=3, random_state=1).fit(Xr, yr)),
    ("reg_e", lambda: EqPropRegressor(output="energy", max_iter=3, random_state=1)
     .fit(Xr, yr)),
    ("reg_deep", lambda: EqPropRegressor((16, 16), max_iter=3, random_state=1).fit(Xr, yr)),
    ("pf", lambda: EqPropClassifier(random_state=1).partial_fit(X, y, classes=np.arange(10))
     .partial_fit(X, y)),
    ("cos", lambda: EqPropClassifier(max_iter=3, learning_rate_schedule="cosine",
                                     random_state=1).fit(X, y)),
]
for name, f in extra:
    m = f()
    results[name] = np.concatenate([p.ravel() for p in m.coefs_ + m.intercepts_]
                                   + [np.asarray(m.loss_curve_)])
if len(sys.argv) != 3 or sys.argv[1] not in ("save", "compare"):
    sys.exit(__doc__)
if sys.argv[1] == "save":
    np.savez(sys.argv[2], **results)
else:
    ref = np.load(sys.argv[2])
    bad = []
    for k in ref.files:
        if not np.array_equal(ref[k], results[k]):
            bad.append((k, float(np.max(np.abs(ref[k] - results[k])))))
    print(len(ref.files), "models;", len(bad), "differ:", bad)
    for k, _ in bad:
        if k.startswith("c"):
            print(k, configs[int(k[1:])])
