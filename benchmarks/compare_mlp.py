"""EqPropClassifier against MLPClassifier on MNIST, same architecture and minibatch.

For each model: seconds per epoch, validation and test error after every epoch, and the
fit time until the validation error first reaches the threshold (2.5% by default).
Prints a table and writes a CSV and a plot of test error against fit time.

    python benchmarks/compare_mlp.py --epochs 25
    python benchmarks/compare_mlp.py --arch 784-500-500-10 --fast --epochs 10
    python benchmarks/compare_mlp.py --fast --epochs 30 --backend jax
"""

import argparse
import csv
import time
import warnings
from pathlib import Path

import numpy as np
from _common import MonitoredEqProp, load_data
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sk_eqprop import PAPER_ARCHITECTURES, fast_hyperparameters, paper_hyperparameters


def train_mlp(solver, hidden, mnist, epochs, random_state, report):
    """One partial_fit per epoch: the optimizer state carries over, as in one long fit."""
    mlp = MLPClassifier(hidden, solver=solver, batch_size=20, random_state=random_state,
                        learning_rate_init=0.01 if solver == "sgd" else 0.001)
    history, fit_seconds = [], 0.0
    classes = np.arange(10)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.partial_fit(mnist.X_train, mnist.y_train, classes=classes)
        fit_seconds += time.perf_counter() - start
        record = {
            "epoch": epoch,
            "val_error": 1 - mlp.score(mnist.X_val, mnist.y_val),
            "test_error": 1 - mlp.score(mnist.X_test, mnist.y_test),
            "fit_seconds": fit_seconds,
        }
        report(record)
        history.append(record)
    return history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=PAPER_ARCHITECTURES, default="784-500-10")
    parser.add_argument("--fast", action="store_true", help="EqProp with fast_hyperparameters")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--threshold", type=float, default=0.025)
    parser.add_argument("--data", help="path of mnist.pkl.gz (default: ../shared/data)")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--backend", choices=["numpy", "jax"], default="numpy",
                        help="EqProp's backend")
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args(argv)

    mnist = load_data(args.data)
    params = (fast_hyperparameters if args.fast else paper_hyperparameters)(args.arch)
    params["max_iter"] = args.epochs
    params["backend"] = args.backend
    hidden = params["hidden_layer_sizes"]
    eqprop_name = f"EqProp {'fast' if args.fast else 'paper'}"
    if args.backend != "numpy":
        eqprop_name += f" ({args.backend})"
    histories = {}

    def reporter(name):
        def report(r):
            print(f"{name} [{r['epoch']}/{args.epochs}] val err {100 * r['val_error']:.2f}%, "
                  f"test err {100 * r['test_error']:.2f}%, fit {r['fit_seconds']:.0f}s",
                  flush=True)
        return report

    clf = MonitoredEqProp(**params, random_state=args.random_state,
                          monitor_data=(mnist.X_val, mnist.y_val, mnist.X_test, mnist.y_test),
                          monitor_callback=reporter(eqprop_name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(mnist.X_train, mnist.y_train)
    histories[eqprop_name] = clf.history_
    for solver in ("sgd", "adam"):
        name = f"MLP {solver}"
        histories[name] = train_mlp(solver, hidden, mnist, args.epochs, args.random_state,
                                    reporter(name))

    print(f"\n{args.arch}, batch 20, {args.epochs} epochs, MNIST 50k/10k/10k")
    print(f"{'model':<18} {'s/epoch':>8} {'best val':>9} {'final test':>11} "
          f"{'to val<=' + format(100 * args.threshold, '.1f') + '%':>12}")
    rows = []
    for name, history in histories.items():
        per_epoch = history[-1]["fit_seconds"] / len(history)
        reached = [r["fit_seconds"] for r in history if r["val_error"] <= args.threshold]
        to_threshold = f"{reached[0]:.0f}s" if reached else "never"
        best_val = min(r["val_error"] for r in history)
        print(f"{name:<18} {per_epoch:>8.1f} {100 * best_val:>8.2f}% "
              f"{100 * history[-1]['test_error']:>10.2f}% {to_threshold:>12}")
        rows += [{"model": name, **r} for r in history]

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"compare_mlp_{args.arch}{'_fast' if args.fast else ''}"
    with open(stem.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["model", "epoch", "train_error", "loss",
                                               "val_error", "test_error", "fit_seconds"],
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure (pip install '.[benchmark]')")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, history in histories.items():
        ax.plot([r["fit_seconds"] for r in history],
                [100 * r["test_error"] for r in history], marker=".", label=name)
    ax.set_xlabel("fit time (s)")
    ax.set_ylabel("test error (%)")
    ax.set_ylim(0, 8)
    ax.grid(alpha=0.3)
    ax.set_title(f"MNIST {args.arch}, minibatch 20")
    ax.legend()
    fig.tight_layout()
    fig.savefig(stem.with_suffix(".png"), dpi=120)
    print(f"wrote {stem}.csv and {stem}.png")


if __name__ == "__main__":
    main()
