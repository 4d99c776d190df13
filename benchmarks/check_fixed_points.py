"""Does predict reach the fixed points that training learned at? (MNIST, a recommended preset)

Trains ``EqPropClassifier(**fast_hyperparameters(ARCH))`` on the paper's 50,000 MNIST
training images, then prints the last epoch's running training error (measured at the
free fixed points that training reached) beside ``predict``'s error on the first 10,000
training images (relaxed from zero, to each sample's tolerance), and the validation and
test errors. The two training figures should agree within 0.3 points.

    python benchmarks/check_fixed_points.py --data ../shared/data/mnist.pkl.gz
    python benchmarks/check_fixed_points.py --arch 784-500-10 --paper   # Table 1, particles on
"""

import argparse
import time

import numpy as np
from _common import load_data

from sk_eqprop import EqPropClassifier, fast_hyperparameters, paper_hyperparameters


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="784-500-10")
    parser.add_argument("--paper", action="store_true", help="Table 1 instead of the fast preset")
    parser.add_argument("--data", default=None, help="mnist.pkl.gz (default: ../shared/data)")
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    mnist = load_data(args.data)
    params = paper_hyperparameters(args.arch) if args.paper else fast_hyperparameters(args.arch)
    print(f"{'paper' if args.paper else 'fast'} preset {args.arch}: {params}")
    clf = EqPropClassifier(**params, random_state=args.random_state, verbose=1)
    start = time.perf_counter()
    clf.fit(mnist.X_train, mnist.y_train)
    fit_seconds = time.perf_counter() - start
    running = 100 * clf.train_error_curve_[-1]
    predicted = 100 * np.mean(clf.predict(mnist.X_train[:10000]) != mnist.y_train[:10000])
    val = 100 * (1 - clf.score(mnist.X_val, mnist.y_val))
    test = 100 * (1 - clf.score(mnist.X_test, mnist.y_test))
    print(f"last epoch's running training error {running:.2f}%; predict on 10,000 training "
          f"images {predicted:.2f}% (difference {predicted - running:+.2f} points); "
          f"validation {val:.2f}%; test {test:.2f}%; fit {fit_seconds:.0f}s, "
          f"{clf.n_iter_} epochs")


if __name__ == "__main__":
    main()
