"""Loader for MNIST with the split of Scellier & Bengio (2017)."""

import gzip
import os
import pickle
from pathlib import Path

import numpy as np
from sklearn.datasets import fetch_openml, get_data_home
from sklearn.utils import Bunch

ENV_VAR = "SK_EQPROP_MNIST"
FILENAME = "mnist.pkl.gz"

# Sizes of the paper's split; module-level so that tests can shrink them.
_N_FEATURES = 784
_N_TRAIN = 50_000
_N_VAL = 10_000
_N_TEST = 10_000

_DESCR = """\
MNIST handwritten digits, split as in Scellier & Bengio (2017), "Equilibrium
Propagation: Bridging the Gap between Energy-Based Models and Backpropagation".

28x28 grey-level images flattened to 784 features with values in [0, 1], and
labels 0..9. Training set: 50,000 images; validation set: 10,000 images (both
from the original MNIST training set); test set: the 10,000 original test
images. This is the layout of the deeplearning.net ``mnist.pkl.gz`` file used by
the paper (LeCun et al., 1998, "Gradient-based learning applied to document
recognition").
"""


def load_mnist(path=None, *, data_home=None, dtype=np.float32):
    """Load MNIST with the paper's 50,000 / 10,000 / 10,000 split.

    Scellier & Bengio (2017) train on the first 50,000 images of the MNIST
    training set, validate on the remaining 10,000 and test on the 10,000 test
    images, as laid out in the deeplearning.net ``mnist.pkl.gz`` file. This
    function reads that file, or, if it cannot be found, downloads
    ``mnist_784`` from OpenML and splits it the same way.

    Parameters
    ----------
    path : str or path-like, default=None
        Path of an ``mnist.pkl.gz`` file. If None, the file named by the
        environment variable ``SK_EQPROP_MNIST`` is used, then
        ``<data_home>/mnist.pkl.gz``, then OpenML.

    data_home : str or path-like, default=None
        scikit-learn data directory, as in
        :func:`sklearn.datasets.get_data_home` (by default
        ``~/scikit_learn_data``). It is searched for ``mnist.pkl.gz`` and
        holds the OpenML download cache.

    dtype : numpy floating dtype, default=np.float32
        Data type of the pixel arrays.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        X_train : ndarray of shape (50000, 784)
            Training images, pixel values in [0, 1].
        y_train : ndarray of shape (50000,), dtype=int64
            Training labels, 0 to 9.
        X_val : ndarray of shape (10000, 784)
            Validation images.
        y_val : ndarray of shape (10000,), dtype=int64
            Validation labels.
        X_test : ndarray of shape (10000, 784)
            Test images.
        y_test : ndarray of shape (10000,), dtype=int64
            Test labels.
        DESCR : str
            Description of the data set.
        source : str
            Path of the file that was read, or ``"openml"``.

    Raises
    ------
    FileNotFoundError
        If ``path`` or ``SK_EQPROP_MNIST`` names a file that does not exist,
        or if no file is found and the OpenML download fails (for example
        offline); the message says how to provide the data.

    ValueError
        If the file is not a gzip'd pickle of three ``(X, y)`` pairs with
        50,000, 10,000 and 10,000 rows of 784 features, or if ``dtype`` is
        not a floating dtype.

    Notes
    -----
    The file is looked for, in order, at ``path``, at the path in the
    environment variable ``SK_EQPROP_MNIST``, and at
    ``<data_home>/mnist.pkl.gz``. It is the ``mnist.pkl.gz`` of the
    deeplearning.net tutorials (formerly
    ``http://deeplearning.net/data/mnist/mnist.pkl.gz``, mirrored in many
    places): a gzip'd Python 2 pickle of ``((X_train, y_train), (X_val, y_val),
    (X_test, y_test))``. Unpickling can run arbitrary code, so only load files
    from a trusted source.

    The OpenML fallback splits ``mnist_784`` (70,000 images, the 60,000
    training images first) into its first 50,000, next 10,000 and last
    10,000 rows, and divides the pixels by 255. Its images are those of the
    pickle file, whose pixels were quantised to multiples of 1/256, so the
    values differ slightly.

    Examples
    --------
    >>> from sk_eqprop.datasets import load_mnist
    >>> mnist = load_mnist()  # doctest: +SKIP
    >>> mnist.X_train.shape, mnist.X_val.shape, mnist.X_test.shape  # doctest: +SKIP
    ((50000, 784), (10000, 784), (10000, 784))
    >>> mnist.y_train[:5]  # doctest: +SKIP
    array([5, 0, 4, 1, 9])
    """
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"dtype must be a floating dtype, got {dtype}.")

    if path is not None:
        return _load_pickle(_existing_file(path, "path"), dtype)

    env_path = os.environ.get(ENV_VAR)
    if env_path:
        return _load_pickle(_existing_file(env_path, f"the environment variable {ENV_VAR}"), dtype)

    home = Path(get_data_home(data_home))
    home_file = home / FILENAME
    if home_file.is_file():
        return _load_pickle(home_file, dtype)

    try:
        openml = fetch_openml(
            "mnist_784", version=1, as_frame=False, data_home=data_home, parser="liac-arff"
        )
    except Exception as exc:
        raise FileNotFoundError(
            f"MNIST could not be found locally and could not be downloaded from OpenML "
            f"({type(exc).__name__}: {exc}). Provide the file mnist.pkl.gz (the "
            f"deeplearning.net MNIST pickle used by Scellier & Bengio, 2017, formerly at "
            f"http://deeplearning.net/data/mnist/mnist.pkl.gz) in one of these ways: pass "
            f"load_mnist(path=...), set the environment variable {ENV_VAR} to its path, "
            f"or put it into the scikit-learn data home directory {home}."
        ) from exc
    return _split_openml(openml.data, openml.target, dtype)


def _existing_file(path, origin):
    """Return ``path`` as a Path, or raise FileNotFoundError naming it and its origin."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"MNIST file {str(path)!r} (given by {origin}) does not exist.")
    return path


def _expected_sizes():
    return (_N_TRAIN, _N_VAL, _N_TEST)


def _load_pickle(path, dtype):
    """Read the deeplearning.net ``mnist.pkl.gz`` layout and validate it."""
    try:
        with gzip.open(path, "rb") as f:
            content = pickle.load(f, encoding="latin1")
    except (gzip.BadGzipFile, EOFError, pickle.UnpicklingError) as exc:
        raise ValueError(
            f"MNIST file {str(path)!r} is not a gzip'd pickle ({type(exc).__name__}: {exc})."
        ) from exc

    sizes = _expected_sizes()
    layout = (
        f"a tuple of three (X, y) pairs with {sizes[0]}, {sizes[1]} and {sizes[2]} rows of "
        f"{_N_FEATURES} features"
    )
    if not isinstance(content, (tuple, list)) or len(content) != 3:
        raise ValueError(f"MNIST file {str(path)!r} does not contain {layout}.")

    arrays = []
    for name, part, n_rows in zip(("training", "validation", "test"), content, sizes):
        try:
            X, y = part
            X, y = np.asarray(X), np.asarray(y)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"MNIST file {str(path)!r}: the {name} part is not an (X, y) pair; expected "
                f"{layout}."
            ) from exc
        if X.shape != (n_rows, _N_FEATURES) or y.shape != (n_rows,):
            raise ValueError(
                f"MNIST file {str(path)!r}: the {name} part has X of shape {X.shape} and y of "
                f"shape {y.shape}, expected ({n_rows}, {_N_FEATURES}) and ({n_rows},); "
                f"expected {layout}."
            )
        arrays.append((X.astype(dtype, copy=False), y.astype(np.int64, copy=False)))
    return _bunch(arrays, source=str(path))


def _split_openml(X, y, dtype):
    """Split OpenML's ``mnist_784`` (train then test images) as the paper does."""
    n_train, n_val, n_test = _expected_sizes()
    n_total = n_train + n_val + n_test
    X = np.asarray(X)
    y = np.asarray(y)
    if X.shape != (n_total, _N_FEATURES) or y.shape != (n_total,):
        raise ValueError(
            f"OpenML mnist_784 has X of shape {X.shape} and y of shape {y.shape}, expected "
            f"({n_total}, {_N_FEATURES}) and ({n_total},)."
        )
    X = (X.astype(np.float64, copy=False) / 255.0).astype(dtype, copy=False)
    y = y.astype(np.int64)
    bounds = [0, n_train, n_train + n_val, n_total]
    arrays = [(X[a:b], y[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    return _bunch(arrays, source="openml")


def _bunch(arrays, source):
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = arrays
    return Bunch(
        X_train=X_train,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        X_test=X_test,
        y_test=y_test,
        DESCR=_DESCR,
        source=source,
    )
