"""Command line: ``python -m sk_eqprop`` trains EqProp and an MLP on scikit-learn's digits."""

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from . import EqPropClassifier, __version__


def digits_demo(random_state=0, verbose=0):
    """Fit EqPropClassifier and MLPClassifier, both at their defaults, on one digits split.

    Each runs in a StandardScaler and in a MinMaxScaler pipeline. Returns a list of
    (name, test accuracy, fit seconds, epochs) and the sizes of the split.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=random_state, stratify=y
    )
    results = []
    for scaler in (StandardScaler, MinMaxScaler):
        models = {
            "EqPropClassifier()": EqPropClassifier(random_state=random_state, verbose=verbose),
            "MLPClassifier()": MLPClassifier(random_state=random_state),
        }
        for name, model in models.items():
            pipe = make_pipeline(scaler(), model)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                pipe.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            results.append((f"{scaler.__name__} + {name}", pipe.score(X_test, y_test),
                            seconds, model.n_iter_))
    return results, (len(X_train), len(X_test))


def reproduce_command(args):
    """``python -m sk_eqprop reproduce``: one of the paper's networks on MNIST."""
    from ._reproduce import preset_hyperparameters, reproduce
    from .datasets import load_mnist

    preset = "fast" if args.fast else args.variant
    overrides = {"max_iter": args.epochs} if args.epochs else {}
    if args.verbose:
        overrides["verbose"] = args.verbose
    if args.backend != "numpy":
        overrides["backend"] = args.backend
    params = {**preset_hyperparameters(args.arch, preset), **overrides}
    print(f"sk_eqprop {__version__}: the paper's {args.arch} network on MNIST, {preset} "
          "hyperparameters")
    print(", ".join(f"{key}={value}" for key, value in params.items()))
    mnist = load_mnist(args.data)
    clf = reproduce(args.arch, preset, params=overrides, mnist=mnist,
                    random_state=args.random_state)
    final = clf.history_[-1]
    print(f"final: training error {100 * final['train_error']:.2f}%, validation error "
          f"{100 * final['val_error']:.2f}%, test error {100 * final['test_error']:.2f}%, "
          f"fit time {final['fit_seconds']:.0f}s")


def main(argv=None):
    from ._hyperparameters import PAPER_ARCHITECTURES

    parser = argparse.ArgumentParser(
        prog="python -m sk_eqprop",
        description="Train an Equilibrium Propagation network on scikit-learn's digits "
        "and compare it with scikit-learn's MLPClassifier; or, with 'reproduce', train "
        "one of the paper's MNIST networks.",
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0, help="EqProp progress lines")
    commands = parser.add_subparsers(dest="command")
    repro = commands.add_parser("reproduce", help="train one of the paper's MNIST networks")
    repro.add_argument("--arch", choices=PAPER_ARCHITECTURES, default="784-500-10")
    repro.add_argument("--fast", action="store_true", help="use fast_hyperparameters")
    repro.add_argument("--variant", choices=["table", "code"], default="table",
                       help="the paper's Table 1 (default) or its reference code")
    repro.add_argument("--epochs", type=int, help="number of epochs (default: the preset's)")
    repro.add_argument("--backend", choices=["numpy", "jax"], default="numpy",
                       help='train on JAX (pip install "sk_eqprop[jax]"; see the docs\' '
                       '"Backends and speed")')
    repro.add_argument("--data", help="path of mnist.pkl.gz (default: $SK_EQPROP_MNIST, "
                       "scikit-learn's data home, or OpenML)")
    # Given after the subcommand, these override the values given before it; absent,
    # they leave those (and their defaults) alone.
    repro.add_argument("--random-state", type=int, default=argparse.SUPPRESS)
    repro.add_argument("--verbose", type=int, default=argparse.SUPPRESS,
                       help="the estimator's own progress lines, besides the per-epoch record")
    args = parser.parse_args(argv)
    if args.command == "reproduce":
        return reproduce_command(args)

    print(f"sk_eqprop {__version__}: Equilibrium Propagation on scikit-learn's digits")
    results, (n_train, n_test) = digits_demo(args.random_state, args.verbose)
    print(f"{n_train} training and {n_test} test images, 8x8 pixels, 10 classes; both "
          "models at their defaults\n")
    print(f"{'model':<52} {'test accuracy':>13} {'fit time':>9} {'epochs':>7}")
    for name, accuracy, seconds, epochs in results:
        print(f"{name:<52} {accuracy:>13.3f} {seconds:>8.1f}s {epochs:>7d}")


if __name__ == "__main__":
    main()
