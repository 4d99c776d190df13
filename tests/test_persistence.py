"""Saving and loading fitted estimators: skops (no arbitrary pickled objects), pickle, joblib."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk_eqprop import EqPropClassifier, EqPropRegressor

DIGIT_NAMES = np.array(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


def _plain(X, y):
    return EqPropClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0), X, y


def _early_stopping_float32(X, y):
    clf = EqPropClassifier(
        hidden_layer_sizes=(12, 8),
        learning_rate=(0.2, 0.05, 0.01),
        early_stopping=True,
        relaxation="layerwise",
        relax_tol=1e-4,
        max_iter=3,
        random_state=np.random.RandomState(1),
    )
    return clf, X.astype(np.float32), y


def _strings_and_feature_names(X, y):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"pixel_{i}" for i in range(X.shape[1])])
    clf = EqPropClassifier(hidden_layer_sizes=(16,), nudging="symmetric", max_iter=2,
                           random_state=0)
    return clf, frame, DIGIT_NAMES[y]


def _pipeline(X, y):
    pipe = make_pipeline(
        MinMaxScaler(), EqPropClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0)
    )
    return pipe, X * 16, y


CASES = {
    "plain": _plain,
    "early-stopping-float32": _early_stopping_float32,
    "strings-and-feature-names": _strings_and_feature_names,
    "pipeline": _pipeline,
}


@pytest.fixture(params=list(CASES))
def fitted(request, digits):
    estimator, X, y = CASES[request.param](*digits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after a few epochs
        estimator.fit(X, y)
    return estimator, X, y


def eqprop_step(estimator):
    return estimator[-1] if hasattr(estimator, "steps") else estimator


def assert_same_params(new, old):
    assert new.keys() == old.keys()
    for name, value in old.items():
        if isinstance(value, np.random.RandomState):  # equal state, not identity
            for a, b in zip(new[name].get_state(), value.get_state()):
                np.testing.assert_array_equal(a, b)
        else:
            assert new[name] == value, name


def assert_same_model(loaded, original, X):
    assert type(loaded) is type(original)
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))
    new, old = eqprop_step(loaded), eqprop_step(original)
    assert_same_params(new.get_params(), old.get_params())
    for W_new, W_old in zip(new.coefs_ + new.intercepts_, old.coefs_ + old.intercepts_):
        assert W_new.dtype == W_old.dtype
        assert W_new.tobytes() == W_old.tobytes()
    for name in ("classes_", "loss_curve_", "train_error_curve_", "validation_scores_",
                 "n_iter_", "t_", "learning_rates_", "n_features_in_"):
        np.testing.assert_array_equal(getattr(new, name), getattr(old, name))
    if hasattr(old, "feature_names_in_"):
        np.testing.assert_array_equal(new.feature_names_in_, old.feature_names_in_)


def assert_trains_on_identically(loaded, original, X, y):
    """The random state travels too: one more epoch gives the same weights."""
    new, old = eqprop_step(loaded), eqprop_step(original)
    if hasattr(original, "steps"):
        X = original[:-1].transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new.set_params(warm_start=True, max_iter=1, early_stopping=False).fit(X, y)
        old.set_params(warm_start=True, max_iter=1, early_stopping=False).fit(X, y)
    for W_new, W_old in zip(new.coefs_, old.coefs_):
        np.testing.assert_array_equal(W_new, W_old)


# ---------------------------------------------------------------------- skops
@pytest.fixture
def sio():
    return pytest.importorskip("skops.io")


def test_skops_round_trip_trusts_only_sk_eqprop_types(sio, fitted):
    estimator, X, y = fitted
    data = sio.dumps(estimator)
    untrusted = sio.get_untrusted_types(data=data)
    # Everything else in the file (numpy arrays and scalars, RandomState, lists,
    # tuples, scikit-learn's scaler and pipeline) is a type skops loads without
    # running arbitrary code: only our own estimator class needs to be trusted.
    assert untrusted == ["sk_eqprop._classifier.EqPropClassifier"]
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.loads(data)
    loaded = sio.loads(data, trusted=untrusted)
    assert_same_model(loaded, estimator, X)
    assert_trains_on_identically(loaded, estimator, X, y)


def test_skops_file_round_trip(sio, digits, tmp_path):
    estimator, X, y = _plain(*digits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, y)
    path = tmp_path / "eqprop.skops"
    sio.dump(estimator, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert all(name.startswith("sk_eqprop.") for name in untrusted)
    assert_same_model(sio.load(path, trusted=untrusted), estimator, X)


def test_skops_round_trip_of_a_regressor(sio, digits):
    X, y = digits
    targets = np.column_stack([y, X[:, 20]])  # two outputs of different scales
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = EqPropRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(
            X, targets
        )
    data = sio.dumps(reg)
    untrusted = sio.get_untrusted_types(data=data)
    assert untrusted == ["sk_eqprop._regressor.EqPropRegressor"]
    loaded = sio.loads(data, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    for W_new, W_old in zip(loaded.coefs_, reg.coefs_):
        assert W_new.tobytes() == W_old.tobytes()


def test_skops_round_trip_of_an_unfitted_estimator(sio):
    estimator = EqPropClassifier(hidden_layer_sizes=(7, 5), learning_rate=(0.1, 0.2, 0.3))
    data = sio.dumps(estimator)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(name.startswith("sk_eqprop.") for name in untrusted)
    assert sio.loads(data, trusted=untrusted).get_params() == estimator.get_params()


# ------------------------------------------------------------- pickle, joblib
def test_pickle_round_trip(fitted):
    estimator, X, y = fitted
    loaded = pickle.loads(pickle.dumps(estimator))
    assert_same_model(loaded, estimator, X)
    assert_trains_on_identically(loaded, estimator, X, y)


def test_joblib_round_trip(fitted, tmp_path):
    estimator, X, _ = fitted
    path = tmp_path / "eqprop.joblib"
    joblib.dump(estimator, path, compress=3)
    loaded = joblib.load(path)
    assert_same_model(loaded, estimator, X)
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    buffer.seek(0)
    assert_same_model(joblib.load(buffer), estimator, X)
