"""Helpers shared by the benchmark scripts (not part of the package)."""

from pathlib import Path

import numpy as np

from sk_eqprop._reproduce import MonitoredEqProp  # noqa: F401  (used by the scripts)
from sk_eqprop.datasets import load_mnist

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist.pkl.gz"


def load_data(path=None, dtype=np.float32):
    """The paper's MNIST split: ``path``, else ../shared/data/mnist.pkl.gz, else load_mnist()."""
    if path is None and SHARED_MNIST.exists():
        path = SHARED_MNIST
    return load_mnist(path, dtype=dtype)
