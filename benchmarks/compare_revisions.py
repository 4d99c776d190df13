"""Time the working tree against another revision, interleaved in one process.

Speed changes of a few percent drown in this kind of machine's drift between two
runs of ``bench_epoch.py`` (the MLP's epoch alone has moved by 2x from one run to
the next). This script imports the package of ``--baseline`` (a git revision,
exported to a temporary folder as ``sk_eqprop_baseline``) beside the working
tree's, and fits each contender with both in alternating order, round after
round. It prints the median fit time of each, their ratio, and the median of the
paired ratios (working tree / baseline, each pair fitted back to back); where the
two ratios disagree by a few percent, that is the noise.

    python benchmarks/compare_revisions.py --baseline HEAD~3
    python benchmarks/compare_revisions.py --baseline main --backend numpy,jax --rounds 9
"""

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from _common import REPO, load_data
from sklearn.datasets import load_digits

import sk_eqprop


def export_baseline(revision, folder):
    """The package at ``revision``, importable as ``sk_eqprop_baseline`` from ``folder``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "sk_eqprop"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    (Path(folder) / "sk_eqprop").rename(Path(folder) / "sk_eqprop_baseline")
    sys.path.insert(0, str(folder))
    import sk_eqprop_baseline

    return sk_eqprop_baseline


def contenders(package, backends, mnist, digits):
    """name -> (estimator parameters, X, y): MNIST presets and the defaults on digits."""
    X, y = mnist
    paper = package.paper_hyperparameters("784-500-10")
    fast = package.fast_hyperparameters("784-500-10")
    fast_deep = package.fast_hyperparameters("784-500-500-10")
    cases = {}
    for backend in backends:
        cases[f"paper 784-500-10, 2 epochs, {backend}"] = (
            dict(paper, max_iter=2, backend=backend), X, y)
        cases[f"fast 784-500-10, 2 epochs, {backend}"] = (
            dict(fast, max_iter=2, backend=backend), X, y)
        cases[f"fast 784-500-500-10, 1 epoch, {backend}"] = (
            dict(fast_deep, max_iter=1, backend=backend), X[:2000], y[:2000])
        cases[f"defaults, digits, {backend}"] = (dict(max_iter=20, backend=backend), *digits)
        cases[f"(100, 100), digits, {backend}"] = (
            dict(hidden_layer_sizes=(100, 100), max_iter=10, backend=backend), *digits)
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", required=True, help="a git revision, e.g. HEAD~1")
    parser.add_argument("--backend", default="numpy", help="numpy, jax or numpy,jax")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--data", help="path of mnist.pkl.gz (default: ../shared/data)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    data = load_data(args.data)
    mnist = (data.X_train[:args.n_samples], data.y_train[:args.n_samples])
    digits = load_digits(return_X_y=True)
    backends = args.backend.split(",")
    with tempfile.TemporaryDirectory() as folder:
        baseline = export_baseline(args.baseline, folder)
        packages = {"baseline": baseline, "tree": sk_eqprop}
        cases = {name: contenders(package, backends, mnist, digits)
                 for name, package in packages.items()}
        times = {case: {name: [] for name in packages} for case in cases["tree"]}

        def fit(name, case):
            params, X, y = cases[name][case]
            start = time.perf_counter()
            packages[name].EqPropClassifier(random_state=0, **params).fit(X, y)
            return time.perf_counter() - start

        for case in times:  # warm-up (and JAX's compilation)
            for name in packages:
                fit(name, case)
        for round_ in range(args.rounds):
            for case in times:
                order = list(packages) if round_ % 2 == 0 else list(packages)[::-1]
                for name in order:
                    times[case][name].append(fit(name, case))
            print(f"round {round_ + 1}/{args.rounds} done", flush=True)
    print(f"\nbaseline {args.baseline}; median of {args.rounds} rounds, seconds per fit")
    print(f"{'contender':40s} {'baseline':>9s} {'tree':>9s} {'ratio':>7s} {'paired':>7s}")
    for case, t in times.items():
        base, tree = np.array(t["baseline"]), np.array(t["tree"])
        print(f"{case:40s} {np.median(base):9.3f} {np.median(tree):9.3f} "
              f"{np.median(tree) / np.median(base):7.3f} {np.median(tree / base):7.3f}")


if __name__ == "__main__":
    main()
