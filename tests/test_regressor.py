"""Behaviour of EqPropRegressor."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_eqprop import EqPropRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def two_outputs():
    X, y = make_regression(n_samples=300, n_features=6, n_targets=2, noise=5, random_state=0)
    return train_test_split(X, y, random_state=0)


def test_regressor_learns_two_outputs(two_outputs):
    X_train, X_test, y_train, y_test = two_outputs
    reg = make_pipeline(StandardScaler(), EqPropRegressor(hidden_layer_sizes=(32,), random_state=0))
    reg.fit(X_train, y_train)
    assert reg.predict(X_test).shape == y_test.shape
    assert reg.score(X_test, y_test) > 0.7


def test_target_scale_does_not_matter(two_outputs):
    """Targets are mapped onto the output units: an affine change of y changes nothing else."""
    X_train, X_test, y_train, _ = two_outputs
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    a = EqPropRegressor(**params).fit(X_train / 100, y_train)
    b = EqPropRegressor(**params).fit(X_train / 100, 1e6 * y_train - 3e5)
    np.testing.assert_allclose(b.coefs_[0], a.coefs_[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        b.predict(X_test / 100), 1e6 * a.predict(X_test / 100) - 3e5, rtol=1e-6
    )


def test_one_dimensional_targets_give_one_dimensional_predictions():
    X, y = load_diabetes(return_X_y=True)
    reg = EqPropRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X, y)
    prediction = reg.predict(X[:5])
    assert prediction.shape == (5,)
    assert np.all((prediction >= y.min() - 0.125 * np.ptp(y)) & (prediction <= y.max() + 0.125 * np.ptp(y)))
    assert reg.n_outputs_ == 1 and not hasattr(reg, "train_error_curve_")


def test_partial_fit_streams(two_outputs):
    X_train, X_test, y_train, y_test = two_outputs
    scaler = StandardScaler().fit(X_train)
    reg = EqPropRegressor(hidden_layer_sizes=(32,), random_state=0)
    for _ in range(30):
        for start in range(0, len(X_train), 75):
            rows = slice(start, start + 75)
            reg.partial_fit(scaler.transform(X_train[rows]), y_train[rows])
    assert reg.score(scaler.transform(X_test), y_test) > 0.5
    with pytest.raises(ValueError, match="1 targets but the network was trained with 2"):
        reg.partial_fit(X_train[:5], y_train[:5, 0])


def test_verbose_reports_validation_r2(two_outputs, capsys):
    X_train, _, y_train, _ = two_outputs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        EqPropRegressor(hidden_layer_sizes=(8,), max_iter=2, early_stopping=True,
                        verbose=1, random_state=0).fit(X_train / 100, y_train)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("[1/2] loss ") and "val R2 " in lines[0] and "eta" in lines[0]


def test_readout_trains_on_standardised_targets_and_energy_output_on_the_unit_range(
        two_outputs):
    X_train, _, y_train, _ = two_outputs
    params = dict(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    readout = EqPropRegressor(**params).fit(X_train, y_train)
    np.testing.assert_allclose(readout.target_offset_, y_train.mean(axis=0))
    np.testing.assert_allclose(readout.target_scale_, y_train.std(axis=0))
    energy = EqPropRegressor(output="energy", **params).fit(X_train, y_train)
    coded = (y_train - energy.target_offset_) / energy.target_scale_
    np.testing.assert_allclose(coded.min(axis=0), 0.1)
    np.testing.assert_allclose(coded.max(axis=0), 0.9)


def test_a_constant_target_is_not_divided_by_its_zero_spread():
    X = np.random.RandomState(0).normal(size=(60, 3))
    reg = EqPropRegressor(hidden_layer_sizes=(8,), learning_rate=0.01, max_iter=50,
                          random_state=0)
    reg.fit(X, np.full(60, 7.5))
    assert reg.target_scale_ == pytest.approx(1.0)
    prediction = reg.predict(X)
    assert np.isfinite(prediction).all()
    np.testing.assert_allclose(prediction, 7.5, atol=0.1)
