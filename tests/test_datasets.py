"""Tests of sk_eqprop.datasets.load_mnist."""

import gzip
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import Bunch

from sk_eqprop.datasets import _mnist, load_mnist

# The real file lives beside the repository: <parent>/shared/data/mnist.pkl.gz.
MNIST_PATH = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.pkl.gz"
needs_mnist = pytest.mark.skipif(
    not MNIST_PATH.exists(), reason="../shared/data/mnist.pkl.gz is absent"
)

SMALL_SIZES = (5, 2, 2)
N_FEATURES = 784


@pytest.fixture
def small_sizes(monkeypatch):
    """Shrink the expected split to 5/2/2 rows and clear the environment variable."""
    n_train, n_val, n_test = SMALL_SIZES
    monkeypatch.setattr(_mnist, "_N_TRAIN", n_train)
    monkeypatch.setattr(_mnist, "_N_VAL", n_val)
    monkeypatch.setattr(_mnist, "_N_TEST", n_test)
    monkeypatch.delenv(_mnist.ENV_VAR, raising=False)
    return SMALL_SIZES


def _fake_parts(sizes=SMALL_SIZES, n_features=N_FEATURES, offset=0):
    """Three (X, y) pairs; part k has labels offset + k and pixels offset/10 + k/10."""
    rng = np.random.RandomState(0)
    parts = []
    for k, n in enumerate(sizes):
        X = np.full((n, n_features), (offset + k) / 10, dtype=np.float32)
        X[:, 0] = rng.uniform(size=n)
        parts.append((X, np.full(n, offset + k, dtype=np.int64)))
    return tuple(parts)


def _write_pickle(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        pickle.dump(content, f, protocol=2)
    return path


def _fail_fetch(*args, **kwargs):
    raise AssertionError("fetch_openml must not be called when a file is found")


def _assert_split(data, sizes, labels):
    for (name, n), label in zip(zip(("train", "val", "test"), sizes), labels):
        X, y = data[f"X_{name}"], data[f"y_{name}"]
        assert X.shape == (n, N_FEATURES)
        assert y.shape == (n,)
        assert y.dtype == np.int64
        np.testing.assert_array_equal(y, label)


def test_load_from_path(small_sizes, tmp_path, monkeypatch):
    monkeypatch.setattr(_mnist, "fetch_openml", _fail_fetch)
    parts = _fake_parts()
    path = _write_pickle(tmp_path / "some" / "mnist.pkl.gz", parts)
    data = load_mnist(path, data_home=tmp_path / "home")
    assert isinstance(data, Bunch)
    _assert_split(data, small_sizes, labels=(0, 1, 2))
    assert data.X_train.dtype == np.float32
    np.testing.assert_array_equal(data.X_val, parts[1][0])
    assert data.source == str(path)
    assert isinstance(data.DESCR, str) and "50,000" in data.DESCR
    # A str path works as well.
    assert load_mnist(str(path)).source == str(path)


def test_dtype(small_sizes, tmp_path):
    path = _write_pickle(tmp_path / "mnist.pkl.gz", _fake_parts())
    data = load_mnist(path, dtype=np.float64)
    for X in (data.X_train, data.X_val, data.X_test):
        assert X.dtype == np.float64
    with pytest.raises(ValueError, match="floating"):
        load_mnist(path, dtype=np.int32)


def test_load_from_env_var(small_sizes, tmp_path, monkeypatch):
    monkeypatch.setattr(_mnist, "fetch_openml", _fail_fetch)
    path = _write_pickle(tmp_path / "env.pkl.gz", _fake_parts(offset=3))
    monkeypatch.setenv("SK_EQPROP_MNIST", str(path))
    data = load_mnist(data_home=tmp_path / "home")
    _assert_split(data, small_sizes, labels=(3, 4, 5))
    assert data.source == str(path)


def test_load_from_data_home(small_sizes, tmp_path, monkeypatch):
    monkeypatch.setattr(_mnist, "fetch_openml", _fail_fetch)
    path = _write_pickle(tmp_path / "home" / "mnist.pkl.gz", _fake_parts(offset=6))
    data = load_mnist(data_home=tmp_path / "home")
    _assert_split(data, small_sizes, labels=(6, 7, 8))
    assert data.source == str(path)


def test_precedence(small_sizes, tmp_path, monkeypatch):
    monkeypatch.setattr(_mnist, "fetch_openml", _fail_fetch)
    explicit = _write_pickle(tmp_path / "explicit.pkl.gz", _fake_parts(offset=0))
    env = _write_pickle(tmp_path / "env.pkl.gz", _fake_parts(offset=3))
    home = tmp_path / "home"
    in_home = _write_pickle(home / "mnist.pkl.gz", _fake_parts(offset=6))

    monkeypatch.setenv("SK_EQPROP_MNIST", str(env))
    assert load_mnist(explicit, data_home=home).source == str(explicit)
    assert load_mnist(data_home=home).source == str(env)
    monkeypatch.delenv("SK_EQPROP_MNIST")
    assert load_mnist(data_home=home).source == str(in_home)


@pytest.mark.parametrize("via_env", [False, True])
def test_missing_file_raises(small_sizes, tmp_path, monkeypatch, via_env):
    monkeypatch.setattr(_mnist, "fetch_openml", _fail_fetch)
    # A valid file in data_home must not hide a wrong explicit location.
    _write_pickle(tmp_path / "home" / "mnist.pkl.gz", _fake_parts())
    missing = tmp_path / "nowhere" / "mnist.pkl.gz"
    with pytest.raises(FileNotFoundError) as excinfo:
        if via_env:
            monkeypatch.setenv("SK_EQPROP_MNIST", str(missing))
            load_mnist(data_home=tmp_path / "home")
        else:
            load_mnist(missing, data_home=tmp_path / "home")
    assert str(missing) in str(excinfo.value)
    if via_env:
        assert "SK_EQPROP_MNIST" in str(excinfo.value)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(_fake_parts()[:2], id="two-parts"),
        pytest.param(_fake_parts(sizes=(5, 2, 3)), id="wrong-rows"),
        pytest.param(_fake_parts(n_features=28), id="wrong-features"),
        pytest.param({"X": np.zeros((9, N_FEATURES))}, id="not-a-tuple"),
        pytest.param((1, 2, 3), id="not-pairs"),
        pytest.param(tuple((X, y[:-1]) for X, y in _fake_parts()), id="label-length"),
    ],
)
def test_wrong_layout_raises(small_sizes, tmp_path, content):
    path = _write_pickle(tmp_path / "bad.pkl.gz", content)
    with pytest.raises(ValueError) as excinfo:
        load_mnist(path)
    assert str(path) in str(excinfo.value)


def test_not_a_gzip_pickle_raises(small_sizes, tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(b"this is not gzip")
    with pytest.raises(ValueError) as excinfo:
        load_mnist(path)
    assert str(path) in str(excinfo.value)


def test_offline_error_says_how_to_provide_data(small_sizes, tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(_mnist, "fetch_openml", offline)
    home = tmp_path / "empty_home"
    with pytest.raises(OSError) as excinfo:
        load_mnist(data_home=home)
    message = str(excinfo.value)
    assert "SK_EQPROP_MNIST" in message
    assert "path=" in message
    assert "mnist.pkl.gz" in message
    assert "deeplearning.net" in message
    assert str(home) in message
    assert isinstance(excinfo.value.__cause__, OSError)


def test_openml_fallback(small_sizes, tmp_path, monkeypatch):
    n_total = sum(small_sizes)
    X = np.tile(np.arange(n_total, dtype=np.float64)[:, None] * 10, (1, N_FEATURES))
    X[:, -1] = 255.0
    y = np.array([str(i % 10) for i in range(n_total)], dtype=object)
    calls = []

    def fake_fetch(*args, **kwargs):
        calls.append((args, kwargs))
        return Bunch(data=X.copy(), target=y.copy())

    monkeypatch.setattr(_mnist, "fetch_openml", fake_fetch)
    home = tmp_path / "home"
    data = load_mnist(data_home=home)

    assert len(calls) == 1
    args, kwargs = calls[0]
    assert (args[0] if args else kwargs.get("name")) == "mnist_784"
    assert kwargs["as_frame"] is False
    assert kwargs["data_home"] == home
    assert data.source == "openml"

    n_train, n_val, _ = small_sizes
    rows = np.arange(n_total)
    expected_rows = (rows[:n_train], rows[n_train : n_train + n_val], rows[n_train + n_val :])
    for name, idx in zip(("train", "val", "test"), expected_rows):
        X_part, y_part = data[f"X_{name}"], data[f"y_{name}"]
        assert X_part.dtype == np.float32
        assert y_part.dtype == np.int64
        np.testing.assert_allclose(X_part[:, 0], idx * 10 / 255, rtol=1e-6)
        np.testing.assert_array_equal(y_part, idx % 10)
        assert X_part.min() >= 0.0 and X_part.max() == 1.0


@pytest.fixture(scope="module")
def real_mnist():
    """The real file, loaded once for the module."""
    return load_mnist(MNIST_PATH)


@needs_mnist
def test_real_mnist(real_mnist):
    sizes = {"train": 50_000, "val": 10_000, "test": 10_000}
    for name, n in sizes.items():
        X, y = real_mnist[f"X_{name}"], real_mnist[f"y_{name}"]
        assert X.shape == (n, 784)
        assert X.dtype == np.float32
        assert y.shape == (n,)
        assert y.dtype == np.int64
        assert X.min() >= 0.0 and X.max() <= 1.0
        assert X.max() > 0.9
        np.testing.assert_array_equal(np.unique(y), np.arange(10))
    np.testing.assert_array_equal(real_mnist.y_train[:5], [5, 0, 4, 1, 9])
    assert real_mnist.source == str(MNIST_PATH)


@needs_mnist
def test_real_mnist_via_env_var(real_mnist, tmp_path, monkeypatch):
    # The env var must lead to the same file and the same arrays. To read the file only once
    # per session, the reader is replaced by one that records the path and returns the
    # module's load; reading through the env var is covered by test_load_from_env_var.
    monkeypatch.setenv("SK_EQPROP_MNIST", str(MNIST_PATH))
    monkeypatch.setattr(_mnist, "fetch_openml", _fail_fetch)
    seen = []

    def cached_reader(path, dtype):
        seen.append((Path(path), np.dtype(dtype)))
        return real_mnist

    monkeypatch.setattr(_mnist, "_load_pickle", cached_reader)
    data = load_mnist(data_home=tmp_path)
    assert seen == [(MNIST_PATH, np.dtype(np.float32))]
    assert data is real_mnist
