"""Reproduce the MNIST experiments of Scellier & Bengio (2017), Figure 3 and Table 1.

Trains one of the paper's three networks with the paper's hyperparameters (or our
``fast_hyperparameters`` with ``--fast``), and records after every epoch the training
error (running, measured during the epoch at the free fixed points, as the paper),
the validation error, the test error and the fit time. Writes a CSV and a
Figure-3-style PNG (training and validation error against epochs).

    python benchmarks/reproduce_paper.py --arch 784-500-10
    python benchmarks/reproduce_paper.py --arch 784-500-10 --variant code --particle-eval
    python benchmarks/reproduce_paper.py --arch 784-500-500-500-10 --fast
    python benchmarks/reproduce_paper.py --arch 784-500-10 --fast --backend jax
    python benchmarks/reproduce_paper.py --arch 784-500-500-10 --epochs 2 --n-train 5000

Run one benchmark at a time: two at once fight for the two cores.
"""

import argparse
import csv
import json
import time
from pathlib import Path

from _common import load_data

from sk_eqprop import PAPER_ARCHITECTURES
from sk_eqprop._reproduce import preset_hyperparameters, reproduce


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=PAPER_ARCHITECTURES, default="784-500-10")
    parser.add_argument("--fast", action="store_true", help="use fast_hyperparameters")
    parser.add_argument("--variant", choices=["table", "code"], default="table",
                        help="paper_hyperparameters variant: Table 1, or the reference code")
    parser.add_argument("--epochs", type=int, help="override the number of epochs")
    parser.add_argument("--n-train", type=int, help="train on the first N training images")
    parser.add_argument("--backend", choices=["numpy", "jax"], default="numpy")
    parser.add_argument("--particle-eval", action="store_true",
                        help="also measure validation and test error at persistent particles "
                        "of the evaluation images, as the paper's reference code did")
    parser.add_argument("--data", help="path of mnist.pkl.gz (default: ../shared/data)")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="PARAM=JSON",
                        help="override a hyperparameter, e.g. --set beta=0.5")
    parser.add_argument("--out", default="benchmarks/results", help="output folder")
    args = parser.parse_args(argv)

    preset = "fast" if args.fast else args.variant
    overrides = {key: json.loads(value) for key, value in (i.split("=", 1) for i in args.set)}
    if args.epochs:
        overrides["max_iter"] = args.epochs
    if args.backend != "numpy":
        overrides["backend"] = args.backend
    params = {**preset_hyperparameters(args.arch, preset), **overrides}
    mnist = load_data(args.data)
    n_train = args.n_train or len(mnist.X_train)
    label = f"{args.arch}-{'fast' if args.fast else 'paper-' + args.variant}"
    print(f"{label}: {json.dumps(params)}")
    print(f"train {n_train}, validation {len(mnist.X_val)}, test {len(mnist.X_test)}")

    start = time.perf_counter()
    clf = reproduce(args.arch, preset, params=overrides, mnist=mnist, n_train=args.n_train,
                    random_state=args.random_state, monitor_particles=args.particle_eval)
    total = time.perf_counter() - start
    final = clf.history_[-1]
    print(
        f"final: train err {100 * final['train_error']:.2f}%, "
        f"val err {100 * final['val_error']:.2f}%, test err {100 * final['test_error']:.2f}%, "
        f"fit time {final['fit_seconds']:.0f}s ({total:.0f}s with evaluation)"
    )
    if args.particle_eval:
        print(f"at persistent particles: val err {100 * final['val_error_particles']:.2f}%, "
              f"test err {100 * final['test_error_particles']:.2f}%")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"reproduce_{label}{'_n' + str(args.n_train) if args.n_train else ''}"
    with open(stem.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(clf.history_[0]))
        writer.writeheader()
        writer.writerows(clf.history_)
    plot(clf.history_, label, stem.with_suffix(".png"))
    print(f"wrote {stem}.csv and {stem}.png")


def plot(history, label, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure (pip install '.[benchmark]')")
        return
    epochs = [r["epoch"] for r in history]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, [100 * r["train_error"] for r in history], label="training error (running)")
    ax.plot(epochs, [100 * r["val_error"] for r in history], label="validation error")
    if "val_error_particles" in history[0]:
        ax.plot(epochs, [100 * r["val_error_particles"] for r in history], "--",
                label="validation error at persistent particles")
    ax.set_xlabel("epoch")
    ax.set_ylabel("error (%)")
    ax.set_ylim(0, 10)
    ax.grid(alpha=0.3)
    ax.set_title(f"EqProp on MNIST\n{label}", fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
