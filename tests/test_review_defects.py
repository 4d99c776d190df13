"""Defects a review found (issue "One training step behind two backends..."), each
with the test that failed before its fix."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_moons

from sk_eqprop import EqPropClassifier
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
def test_interrupt_before_the_first_epoch_ends_gives_the_previous_model_back(warm):
    X, y = X_digits[:60], y_digits[:60]
    model = EqPropClassifier(hidden_layer_sizes=(8,), max_iter=2, batch_size=10,
                             random_state=0, warm_start=True)
    if warm:
        fit_quietly(model, X, y)
        before = ([W.copy() for W in model.coefs_], model.n_iter_, list(model.loss_curve_))
    original = model._train_batch
    calls = []

    def train_batch(*args, **kwargs):
        calls.append(None)
        if len(calls) == 3:  # within the first epoch of this call
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    model._train_batch = train_batch
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y)
    del model._train_batch
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
