"""Command line: ``python -m sk_eqprop`` trains EqProp and an MLP on scikit-learn's digits."""

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from . import EqPropClassifier, __version__


def digits_demo(random_state=0, verbose=0):
    """Fit EqPropClassifier and MLPClassifier on the same digits split; return their results."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=random_state, stratify=y
    )
    models = {
        "EqPropClassifier (500 hidden units, paper settings)": EqPropClassifier(
            random_state=random_state, verbose=verbose
        ),
        "MLPClassifier (500 hidden units, adam)": MLPClassifier(
            hidden_layer_sizes=(500,), random_state=random_state, max_iter=200
        ),
    }
    results = []
    for name, model in models.items():
        pipe = make_pipeline(MinMaxScaler(), model)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            pipe.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        results.append((name, pipe.score(X_test, y_test), seconds, model.n_iter_))
    return results, (len(X_train), len(X_test))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sk_eqprop",
        description="Train an Equilibrium Propagation network on scikit-learn's digits "
        "and compare it with scikit-learn's MLPClassifier.",
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0, help="EqProp progress lines")
    args = parser.parse_args(argv)

    print(f"sk_eqprop {__version__}: Equilibrium Propagation on scikit-learn's digits")
    results, (n_train, n_test) = digits_demo(args.random_state, args.verbose)
    print(f"{n_train} training and {n_test} test images, 8x8 pixels, 10 classes\n")
    print(f"{'model':<48} {'test accuracy':>13} {'fit time':>9} {'epochs':>7}")
    for name, accuracy, seconds, epochs in results:
        print(f"{name:<48} {accuracy:>13.3f} {seconds:>8.1f}s {epochs:>7d}")


if __name__ == "__main__":
    main()
