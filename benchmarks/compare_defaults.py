"""EqPropClassifier() against MLPClassifier() at their defaults, on everyday data.

Both estimators run at their default parameters (``random_state`` aside) in a
``StandardScaler`` pipeline and in a ``MinMaxScaler`` pipeline, under stratified
K-fold cross-validation (shuffled, ``random_state=0``). The suite has 16 small
classification datasets of the kinds users bring: scikit-learn's generators (linear
problems with several class counts, redundant features and label noise; 2-D
nonlinear shapes; gaussian quantiles; spirals), scikit-learn's bundled tabular sets
and its 8x8 digit images. The datasets are split into a ``tune`` group (used to
choose the defaults) and a ``check`` group (looked at only to confirm them).

Per dataset and scaler it prints the mean CV accuracy of each estimator, their
difference and each one's total fit time over the folds; the summary line gives the
mean accuracies, the worst difference and the ratio of the total fit times, and
whether the issue's targets hold (mean accuracy >= MLP's - 0.005, no dataset below
MLP's - 0.02, total fit time <= 1.5x MLP's).

``--regression`` runs EqPropRegressor against MLPRegressor (targets standardised with
``TransformedTargetRegressor``, ``max_iter=1000``) and RidgeCV on 16 regression problems
(R^2): scikit-learn's generators and bundled sets and real tables from statsmodels and
palmerpenguins (``pip install '.[benchmark]'``), 203 to 8,000 rows, one and two targets,
with a ``tune`` and a ``check`` group; targets: mean R^2 >= MLP's - 0.01, no set more
than 0.03 below the better of MLP and Ridge, fit time <= 1.5x MLP's. ``--multilabel`` runs
EqPropClassifier against MLPClassifier on make_multilabel_classification
variants (subset accuracy).

    python benchmarks/compare_defaults.py                      # classification, all groups
    python benchmarks/compare_defaults.py --group tune --set batch_size=50
    python benchmarks/compare_defaults.py --regression --multilabel --no-classification
    python benchmarks/compare_defaults.py --hidden 100,100          # both with two hidden layers

Run one benchmark at a time: two at once make both timings meaningless.
"""

import argparse
import ast
import time
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_blobs,
    make_circles,
    make_classification,
    make_friedman1,
    make_friedman2,
    make_friedman3,
    make_gaussian_quantiles,
    make_moons,
    make_multilabel_classification,
    make_regression,
    make_sparse_uncorrelated,
)
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sk_eqprop import EqPropClassifier, EqPropRegressor

SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler}

# Regression sets with fewer rows than this run every seed of --seeds.
SMALL_SET = 1000


def make_spirals(n_samples=600, noise=0.25, n_arms=2, random_state=0):
    """Interleaved noisy spirals, one class per arm."""
    rng = np.random.RandomState(random_state)
    per_arm = n_samples // n_arms
    X, y = [], []
    for arm in range(n_arms):
        t = np.sqrt(rng.uniform(0.05, 1.0, per_arm)) * 3 * np.pi
        angle = t + 2 * np.pi * arm / n_arms
        points = np.column_stack([t * np.cos(angle), t * np.sin(angle)])
        X.append(points + noise * rng.standard_normal(points.shape) * 2)
        y.append(np.full(per_arm, arm))
    return np.vstack(X), np.concatenate(y)


def mixed_scales(X, random_state=0):
    """Features multiplied by scales spread over six orders of magnitude, some shifted."""
    rng = np.random.RandomState(random_state)
    scales = 10.0 ** rng.uniform(-3, 3, X.shape[1])
    shifts = rng.choice([0.0, 100.0, -5.0], X.shape[1])
    return X * scales + shifts


def classification_suite():
    """name -> (group, X, y)."""
    digits = load_digits()
    suite = {
        "clf-2c-20f-flip": ("tune", *make_classification(
            n_samples=600, n_features=20, n_informative=5, n_redundant=5, flip_y=0.05,
            random_state=1)),
        "clf-5c-10inf": ("tune", *make_classification(
            n_samples=1000, n_features=20, n_informative=10, n_classes=5,
            n_clusters_per_class=2, random_state=2)),
        "clf-3c-mixed-scales": ("check", mixed_scales(make_classification(
            n_samples=500, n_features=12, n_informative=4, n_redundant=2, n_classes=3,
            flip_y=0.02, random_state=3)[0]), make_classification(
            n_samples=500, n_features=12, n_informative=4, n_redundant=2, n_classes=3,
            flip_y=0.02, random_state=3)[1]),
        "clf-8c-hard": ("check", *make_classification(
            n_samples=1200, n_features=30, n_informative=12, n_classes=8,
            n_clusters_per_class=1, class_sep=0.8, flip_y=0.03, random_state=4)),
        "moons": ("tune", *make_moons(n_samples=500, noise=0.3, random_state=0)),
        "circles": ("check", *make_circles(n_samples=500, noise=0.1, factor=0.5,
                                           random_state=0)),
        "blobs-4": ("tune", *make_blobs(n_samples=500, centers=4, cluster_std=2.5,
                                        random_state=0)),
        "quantiles-3c": ("tune", *make_gaussian_quantiles(
            n_samples=600, n_features=2, n_classes=3, random_state=0)),
        "quantiles-4d": ("check", *make_gaussian_quantiles(
            n_samples=800, n_features=4, n_classes=2, random_state=1)),
        "spirals": ("tune", *make_spirals(n_samples=600, noise=0.25, random_state=0)),
        "spirals-3arm": ("check", *make_spirals(n_samples=600, noise=0.15, n_arms=3,
                                                random_state=1)),
        "iris": ("check", *load_iris(return_X_y=True)),
        "wine": ("tune", *load_wine(return_X_y=True)),
        "breast-cancer": ("check", *load_breast_cancer(return_X_y=True)),
        "digits": ("tune", digits.data, digits.target),
        "digits-noisy-half": ("check", *_noisy_half_digits(digits)),
    }
    return suite


def _noisy_half_digits(digits):
    """Every other digit image with salt noise: a small, noisier image set."""
    rng = np.random.RandomState(0)
    X = digits.data[::2].copy()
    X[rng.uniform(size=X.shape) < 0.1] = 16.0
    return X, digits.target[::2]


def _table(frame, target, drop=(), categorical=()):
    """(X, y) of a pandas table: ``target`` column(s) against the rest, categorical
    columns one-hot coded, rows with missing values dropped."""
    import pandas as pd

    frame = frame.drop(columns=list(drop)).dropna()
    y = frame[target].to_numpy(dtype=float)
    X = pd.get_dummies(frame.drop(columns=target), columns=list(categorical),
                       drop_first=True, dtype=float)
    return X.to_numpy(dtype=float), y


def _real_tables():
    """Regression tables bundled with statsmodels and palmerpenguins (the ``benchmark``
    extra): name -> (group, X, y)."""
    try:
        import palmerpenguins
        import statsmodels.api as sm
    except ImportError as exc:
        raise SystemExit("the regression suite's real tables need statsmodels and "
                         "palmerpenguins: pip install '.[benchmark]'") from exc
    data = sm.datasets
    star98 = data.star98.load_pandas().data
    # share of a district's students above the national maths median (a binomial GLM's target)
    star98["above"] = star98["NABOVE"] / (star98["NABOVE"] + star98["NBELOW"])
    return {
        # body mass of 333 penguins from bill, flipper, species, island and sex
        "penguins-mass": ("tune", *_table(palmerpenguins.load_penguins(), "body_mass_g",
                                          categorical=("species", "island", "sex"))),
        # reported time spent in affairs, 6,366 women (a weak, skewed signal)
        "fair-affairs": ("tune", *_table(data.fair.load_pandas().data, "affairs",
                                         categorical=("occupation", "occupation_husb"))),
        # two targets: US real investment and unemployment from the other quarterly
        # series, 1959-2009
        "macro-2targets": ("check", *_table(data.macrodata.load_pandas().data,
                                            ["realinv", "unemp"], drop=("quarter",))),
        # share of students above the maths median in 303 school districts
        "star98-share": ("check", *_table(star98, "above", drop=("NABOVE", "NBELOW"))),
        # self-placement on a left-right scale, 944 voters
        "anes96-selfLR": ("check", *_table(data.anes96.load_pandas().data, "selfLR")),
        # gross investment of 11 firms from their value and capital, 20 years
        "grunfeld-invest": ("tune", *_table(data.grunfeld.load_pandas().data, "invest",
                                             categorical=("firm",))),
        # food expenditure against income, 235 households (one feature)
        "engel-food": ("check", *_table(data.engel.load_pandas().data, "foodexp")),
    }


def regression_suite():
    """name -> (group, X, y): scikit-learn's generators and bundled sets, and real
    tables; small (< 300 rows) to large (> 5,000), one and two targets. (Linnerud's 20
    rows are left out: with 4 rows per test fold R^2 is noise.)"""
    suite = {
        "diabetes": ("tune", *load_diabetes(return_X_y=True)),
        "friedman1": ("tune", *make_friedman1(n_samples=600, noise=1.0, random_state=0)),
        "friedman2": ("tune", *make_friedman2(n_samples=600, noise=10.0, random_state=0)),
        "friedman3": ("check", *make_friedman3(n_samples=600, noise=0.1, random_state=0)),
        "friedman1-8000": ("check", *make_friedman1(n_samples=8000, n_features=20,
                                                    noise=1.0, random_state=1)),
        "linear-10f": ("tune", *make_regression(n_samples=500, n_features=10,
                                                n_informative=6, noise=10.0, random_state=0)),
        "linear-50f-noisy": ("check", *make_regression(
            n_samples=400, n_features=50, n_informative=40, noise=50.0, random_state=2)),
        "linear-2targets": ("check", *make_regression(n_samples=500, n_features=10,
                                                      n_targets=2, noise=10.0,
                                                      random_state=1)),
        "sparse-uncorrelated": ("tune", *make_sparse_uncorrelated(n_samples=500,
                                                                  random_state=0)),
    }
    suite.update(_real_tables())
    return suite


def multilabel_suite():
    """name -> (X, Y)."""
    return {
        f"multilabel-{n_classes}l-{n_features}f": make_multilabel_classification(
            n_samples=600, n_features=n_features, n_classes=n_classes, n_labels=2,
            random_state=seed)[:2]
        for seed, (n_classes, n_features) in enumerate([(5, 20), (4, 10), (8, 30)])
    }


def parse_overrides(items):
    """``["batch_size=50", "beta=0.5"]`` -> ``{"batch_size": 50, "beta": 0.5}``."""
    overrides = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            overrides[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[key] = value
    return overrides


def evaluate(model, X, y, cv, scoring=None):
    """Mean CV score and total fit time of ``model``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = cross_validate(model, X, y, cv=cv, scoring=scoring, error_score="raise")
    return float(np.mean(result["test_score"])), float(np.sum(result["fit_time"]))


def summarise(rows, what, time_bound=1.5, mean_margin=0.005, worst_margin=0.02):
    """Print the summary line of ``rows`` = [(ours, theirs, our_time, their_time), ...]."""
    ours = np.array([r[0] for r in rows])
    theirs = np.array([r[1] for r in rows])
    t_ours = sum(r[2] for r in rows)
    t_theirs = sum(r[3] for r in rows)
    worst = float((ours - theirs).min())
    ratio = t_ours / t_theirs
    ok = (ours.mean() >= theirs.mean() - mean_margin and worst >= -worst_margin
          and ratio <= time_bound)
    print(f"SUMMARY {what}: EqProp mean {ours.mean():.4f}, MLP mean {theirs.mean():.4f} "
          f"(diff {ours.mean() - theirs.mean():+.4f}), worst diff {worst:+.4f}, fit time "
          f"{t_ours:.1f}s / {t_theirs:.1f}s = {ratio:.2f}x -> "
          f"{'targets met' if ok else 'targets NOT met'}", flush=True)
    return ok


def network_shape(args):
    """``hidden_layer_sizes`` for both estimators, from ``--hidden`` (empty: defaults)."""
    if args.hidden is None:
        return {}
    return {"hidden_layer_sizes": tuple(int(n) for n in args.hidden.split(","))}


def run_classification(args, overrides):
    suite = classification_suite()
    shape = network_shape(args)
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    rows = {scaler: [] for scaler in args.scalers}
    points = []
    print(f"{'dataset':22s} {'group':5s} {'scaler':8s} {'n':>5s} {'EqProp':>7s} {'MLP':>7s} "
          f"{'diff':>7s} {'t EqProp':>9s} {'t MLP':>7s}", flush=True)
    for name, (group, X, y) in suite.items():
        if args.group != "all" and group != args.group:
            continue
        if args.datasets and name not in args.datasets:
            continue
        for scaler in args.scalers:
            eqprop = EqPropClassifier(random_state=args.random_state, **shape, **overrides)
            mlp = MLPClassifier(random_state=args.random_state, **shape)
            ours, t_ours = evaluate(make_pipeline(SCALERS[scaler](), eqprop), X, y, cv)
            theirs, t_theirs = evaluate(make_pipeline(SCALERS[scaler](), mlp), X, y, cv)
            rows[scaler].append((ours, theirs, t_ours, t_theirs))
            points.append((name, scaler, ours, theirs))
            print(f"{name:22s} {group:5s} {scaler:8s} {len(y):5d} {ours:7.4f} {theirs:7.4f} "
                  f"{ours - theirs:+7.4f} {t_ours:8.1f}s {t_theirs:6.1f}s", flush=True)
    ok = True
    for scaler, scaler_rows in rows.items():
        if scaler_rows:
            ok &= summarise(scaler_rows, f"classification, {scaler} scaler")
    if args.figure:
        depth = shape.get("hidden_layer_sizes", "default")
        draw(points, args.figure, f"hidden_layer_sizes={depth}: 16 small datasets "
             f"({args.folds}-fold CV)")
    everything = [row for scaler_rows in rows.values() for row in scaler_rows]
    if len(rows) > 1 and everything:
        ok &= summarise(everything, "classification, both scalers")
    return ok


def draw(points, path, title):
    """EqProp's CV accuracy against MLP's, one marker per dataset and scaler."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    for scaler, marker in (("standard", "o"), ("minmax", "s")):
        xs = [p[3] for p in points if p[1] == scaler]
        ys = [p[2] for p in points if p[1] == scaler]
        if xs:
            ax.scatter(xs, ys, marker=marker, alpha=0.7, label=f"{scaler} scaler")
    low = min(min(p[2], p[3]) for p in points) - 0.02
    ax.plot([low, 1], [low, 1], color="grey", lw=1)
    ax.plot([low, 1], [low - 0.02, 0.98], color="grey", lw=1, ls=":", label="MLP - 0.02")
    ax.set_xlabel("MLPClassifier() CV accuracy")
    ax.set_ylabel("EqPropClassifier() CV accuracy")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"figure written to {path}")


def run_regression(args, overrides):
    """EqPropRegressor against MLPRegressor (targets standardised, ``max_iter=1000``, as
    its documentation advises) and RidgeCV, each in a StandardScaler pipeline (R^2).

    On sets under ``SMALL_SET`` rows each estimator runs with every seed of ``--seeds``:
    its score is the mean over them, and the spread (max - min) of EqProp's is printed.
    """
    cv = KFold(args.folds, shuffle=True, random_state=0)
    shape = network_shape(args)
    rows, gaps, spreads = [], [], []
    print(f"{'dataset':22s} {'group':5s} {'n':>5s} {'d':>3s} {'EqProp':>7s} {'spread':>6s} "
          f"{'MLP':>7s} {'Ridge':>7s} {'t EqProp':>9s} {'t MLP':>7s}", flush=True)
    for name, (group, X, y) in regression_suite().items():
        if args.group != "all" and group != args.group:
            continue
        if args.datasets and name not in args.datasets:
            continue
        seeds = args.seeds if len(y) < SMALL_SET else args.seeds[:1]
        ours, theirs = [], []
        for seed in seeds:
            eqprop = make_pipeline(StandardScaler(), EqPropRegressor(
                random_state=seed, **shape, **overrides))
            mlp = TransformedTargetRegressor(
                make_pipeline(StandardScaler(), MLPRegressor(
                    random_state=seed, max_iter=1000, **shape)),
                transformer=StandardScaler())
            ours.append(evaluate(eqprop, X, y, cv, scoring="r2"))
            theirs.append(evaluate(mlp, X, y, cv, scoring="r2"))
        linear, _ = evaluate(make_pipeline(StandardScaler(), RidgeCV()), X, y, cv,
                             scoring="r2")
        score = float(np.mean([r[0] for r in ours]))
        spread = float(np.ptp([r[0] for r in ours]))
        mlp_score = float(np.mean([r[0] for r in theirs]))
        t_ours, t_theirs = sum(r[1] for r in ours), sum(r[1] for r in theirs)
        rows.append((score, mlp_score, t_ours, t_theirs))
        gaps.append((name, score - max(mlp_score, linear)))
        spreads.append(spread)
        print(f"{name:22s} {group:5s} {len(y):5d} {X.shape[1]:3d} {score:7.4f} {spread:6.3f} "
              f"{mlp_score:7.4f} {linear:7.4f} {t_ours:8.1f}s {t_theirs:6.1f}s", flush=True)
    ours = np.mean([r[0] for r in rows])
    theirs = np.mean([r[1] for r in rows])
    t_ours, t_theirs = sum(r[2] for r in rows), sum(r[3] for r in rows)
    worst_name, worst = min(gaps, key=lambda gap: gap[1])
    ok = ours >= theirs - 0.01 and worst >= -0.03 and t_ours <= 1.5 * t_theirs
    print(f"SUMMARY regression: EqProp mean R^2 {ours:.4f}, MLP {theirs:.4f} "
          f"(diff {ours - theirs:+.4f}); worst EqProp - max(MLP, Ridge) {worst:+.4f} "
          f"({worst_name}); largest seed spread {max(spreads):.3f}; fit time {t_ours:.1f}s / "
          f"{t_theirs:.1f}s = {t_ours / t_theirs:.2f}x -> "
          f"{'targets met' if ok else 'targets NOT met'}", flush=True)
    return ok


def run_multilabel(args, overrides):
    cv = KFold(args.folds, shuffle=True, random_state=0)
    rows = []
    for name, (X, Y) in multilabel_suite().items():
        for scaler in args.scalers:
            eqprop = EqPropClassifier(random_state=args.random_state, **network_shape(args),
                                      **overrides)
            mlp = MLPClassifier(random_state=args.random_state, **network_shape(args))
            ours, t_ours = evaluate(make_pipeline(SCALERS[scaler](), eqprop), X, Y, cv)
            theirs, t_theirs = evaluate(make_pipeline(SCALERS[scaler](), mlp), X, Y, cv)
            rows.append((ours, theirs, t_ours, t_theirs))
            print(f"{name:22s} {scaler:8s} subset accuracy EqProp {ours:.4f}, MLP "
                  f"{theirs:.4f} ({ours - theirs:+.4f}); fit {t_ours:.1f}s / {t_theirs:.1f}s",
                  flush=True)
    return summarise(rows, "multilabel (subset accuracy)", time_bound=np.inf,
                     mean_margin=0.02, worst_margin=0.02)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", choices=["tune", "check", "all"], default="all")
    parser.add_argument("--datasets", nargs="*", help="only these datasets")
    parser.add_argument("--scalers", nargs="*", choices=list(SCALERS), default=list(SCALERS))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--hidden", metavar="N,N,...",
                        help="hidden_layer_sizes of both estimators, e.g. 100,100 (default: "
                             "each estimator's own)")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--seeds", default="0,1,2", type=lambda text: [int(v) for v in text.split(",")],
                        help="random_state values of each estimator on the small regression "
                             "sets (comma-separated)")
    parser.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                        help="a non-default EqProp parameter (repeatable; labelled in the output)")
    parser.add_argument("--figure", help="write a PNG of EqProp's accuracy against MLP's")
    parser.add_argument("--no-classification", action="store_true")
    parser.add_argument("--regression", action="store_true")
    parser.add_argument("--multilabel", action="store_true")
    args = parser.parse_args(argv)
    overrides = parse_overrides(args.set)
    if overrides:
        print(f"NON-DEFAULT EqProp parameters: {overrides}")
    if args.hidden:
        print(f"hidden_layer_sizes of both estimators: {network_shape(args)['hidden_layer_sizes']}")
    start = time.perf_counter()
    ok = True
    if not args.no_classification:
        ok &= run_classification(args, overrides)
    if args.regression:
        ok &= run_regression(args, overrides)
    if args.multilabel:
        ok &= run_multilabel(args, overrides)
    print(f"total {time.perf_counter() - start:.0f}s; {'all targets met' if ok else 'some targets NOT met'}")


if __name__ == "__main__":
    main()
