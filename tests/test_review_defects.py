"""Defects a review found (issue "One training step behind two backends..."), each
with the test that failed before its fix."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_moons
from sklearn.model_selection import train_test_split

from sk_eqprop import EqPropClassifier, EqPropRegressor
from sk_eqprop._core.training import NumpyEpochs
from sk_eqprop._hyperparameters import resolve_learning_rates

X_digits, y_digits = load_digits(return_X_y=True)


def fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


def test_warm_start_with_early_stopping_keeps_the_best_model_across_calls():
    # As MLPClassifier: the best validation score of any call decides the weights kept.
    X, y = make_moons(200, noise=0.3, random_state=0)
    model = EqPropClassifier(hidden_layer_sizes=(8,), early_stopping=True, warm_start=True,
                             max_iter=3, learning_rate=0.05, random_state=0)
    fit_quietly(model, X, y)
    for _ in range(4):
        best_before = model.best_validation_score_
        kept = [W.copy() for W in model.coefs_]
        fit_quietly(model, X, y)
        if model.best_validation_score_ == best_before:  # this call never improved
            for W, W_kept in zip(model.coefs_, kept):
                np.testing.assert_array_equal(W, W_kept)
    # The kept weights score what best_validation_score_ says on the validation split.
    assert model.best_validation_score_ == max(model.validation_scores_)


def test_early_stopping_switched_on_between_warm_started_fits():
    X, y = make_moons(200, noise=0.3, random_state=0)
    model = EqPropClassifier(hidden_layer_sizes=(8,), warm_start=True, max_iter=2,
                             random_state=0)
    fit_quietly(model, X, y)
    model.set_params(early_stopping=True)
    fit_quietly(model, X, y)
    assert len(model.validation_scores_) == model.n_iter_ - 2
    assert model.best_validation_score_ == max(model.validation_scores_)


@pytest.mark.parametrize("warm", [False, True], ids=["first-fit", "warm-start"])
def test_interrupt_before_the_first_epoch_ends_gives_the_previous_model_back(warm, monkeypatch):
    X, y = X_digits[:60], y_digits[:60]
    model = EqPropClassifier(hidden_layer_sizes=(8,), max_iter=2, batch_size=10,
                             random_state=0, warm_start=True)
    if warm:
        fit_quietly(model, X, y)
        before = ([W.copy() for W in model.coefs_], model.n_iter_, list(model.loss_curve_))
    original = NumpyEpochs.train_batch
    calls = []

    def train_batch(*args, **kwargs):
        calls.append(None)
        if len(calls) == 3:  # within the first epoch of this call
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(NumpyEpochs, "train_batch", train_batch)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y)
    monkeypatch.undo()
    if warm:
        for W, W_before in zip(model.coefs_, before[0]):
            np.testing.assert_array_equal(W, W_before)
        assert (model.n_iter_, model.loss_curve_) == (before[1], before[2])
    else:
        assert not hasattr(model, "coefs_") and not hasattr(model, "n_iter_")


def test_auto_learning_rate_suits_the_solver():
    # The paper's rates are plain-step rates; Adam's step is the rate itself.
    assert resolve_learning_rates("auto", 2, solver="sgd") == (0.1, 0.05)
    assert resolve_learning_rates("auto", 2, solver="adam") == (0.01, 0.01)
    model = fit_quietly(EqPropClassifier(learning_rate="auto", max_iter=1, random_state=0),
                        X_digits[:100], y_digits[:100])
    assert model.learning_rates_ == (0.01, 0.01)


def test_error_messages_advise_a_remedy_that_works_with_the_input_scaling():
    model = EqPropClassifier()
    assert "MinMaxScaler" not in model._input_overflow_message()
    assert "MinMaxScaler" not in model._divergence_message()
    raw = EqPropClassifier(input_scaling=None)
    assert "input_scaling='standard'" in raw._input_overflow_message()


# ---------------------------------------------------------- 5. sample_weight and validation
@pytest.mark.parametrize("sparse", [False, True])
def test_sample_weight_counts_in_the_input_statistics_and_the_initial_bias(sparse):
    # Integer weights are repeated rows: the standardisation and the initial output
    # bias see the same data either way.
    rng = np.random.RandomState(0)
    X = rng.normal(3.0, 2.0, (60, 4)) * [1, 10, 0.1, 5]
    y = X @ [1.0, 0.1, 5.0, -0.2] + rng.normal(size=60)
    weights = rng.randint(0, 4, 60)
    weights[0] = 1
    repeated = np.repeat(np.arange(60), weights)
    as_input = sp.csr_matrix if sparse else np.asarray
    # A vanishing rate leaves the biases where they started.
    params = dict(hidden_layer_sizes=(4,), max_iter=1, learning_rate=1e-12, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = EqPropRegressor(**params).fit(as_input(X), y, sample_weight=weights)
        copies = EqPropRegressor(**params).fit(as_input(X[repeated]), y[repeated])
    np.testing.assert_allclose(weighted.input_offset_, copies.input_offset_, atol=1e-12)
    np.testing.assert_allclose(weighted.input_scale_, copies.input_scale_, rtol=1e-10)
    coded = (y[repeated] - weighted.target_offset_) / weighted.target_scale_
    np.testing.assert_allclose(weighted.intercepts_[-1], coded.mean(), atol=1e-6)


def test_the_validation_rows_of_early_stopping_are_not_in_the_input_statistics():
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = EqPropClassifier(hidden_layer_sizes=(8,), max_iter=2, early_stopping=True,
                               random_state=0).fit(X, y)
    # The held-out rows are the first draw of the estimator's random state.
    X_train, _ = train_test_split(X, test_size=0.1, stratify=y,
                                  random_state=np.random.RandomState(0))
    np.testing.assert_allclose(clf.input_offset_, X_train.mean(axis=0), atol=1e-10)
    assert not np.allclose(clf.input_offset_, X.mean(axis=0))


# ------------------------------------------------- defect 4: sparse input is centred too
@pytest.mark.parametrize("Estimator", [EqPropClassifier, EqPropRegressor])
@pytest.mark.parametrize("hidden", [(16,), (12, 10)], ids=["one", "two"])
def test_sparse_input_trains_the_model_dense_input_trains(Estimator, hidden):
    # Before: sparse features were scaled by their root mean square and not centred, so
    # after 2 epochs on digits predictions differed on 5% of the images.
    X, y = X_digits[:400], y_digits[:400]
    params = dict(hidden_layer_sizes=hidden, max_iter=2, random_state=0)
    dense = fit_quietly(Estimator(**params), X, y)
    sparse = fit_quietly(Estimator(**params), sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.input_offset_, dense.input_offset_, rtol=1e-12)
    np.testing.assert_allclose(sparse.input_scale_, dense.input_scale_, rtol=1e-12)
    for A, B in zip(sparse.coefs_ + sparse.intercepts_, dense.coefs_ + dense.intercepts_):
        np.testing.assert_allclose(A, B, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(sparse.predict(sp.csr_matrix(X)), dense.predict(X))
    np.testing.assert_allclose(sparse.predict(X), dense.predict(sp.csr_matrix(X)))


def test_sparse_input_with_sample_weight_matches_dense():
    X, y = X_digits[:300], y_digits[:300]
    w = np.random.RandomState(0).uniform(0.2, 3.0, size=300)
    params = dict(hidden_layer_sizes=(16,), max_iter=2, random_state=0)
    dense = EqPropClassifier(**params)
    sparse = EqPropClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense.fit(X, y, sample_weight=w)
        sparse.fit(sp.csr_matrix(X), y, sample_weight=w)
    for A, B in zip(sparse.coefs_, dense.coefs_):
        np.testing.assert_allclose(A, B, rtol=1e-9, atol=1e-10)
