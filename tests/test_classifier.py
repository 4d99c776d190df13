"""Behaviour of EqPropClassifier as a user sees it."""

import pickle
import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk_eqprop import (
    PAPER_ARCHITECTURES,
    EqPropClassifier,
    fast_hyperparameters,
    paper_hyperparameters,
)
from sk_eqprop._hyperparameters import default_learning_rates


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


def small(**params):
    """A small fast network for behavioural tests."""
    defaults = dict(hidden_layer_sizes=(32,), max_iter=5, random_state=0)
    return EqPropClassifier(**{**defaults, **params})


# ---------------------------------------------------------------- the paper's settings
PAPER_TABLE = {  # Scellier & Bengio (2017), Table 1
    "784-500-10": ((500,), 20, 4, 0.5, 1.0, (0.1, 0.05)),
    "784-500-500-10": ((500, 500), 100, 6, 0.5, 1.0, (0.4, 0.1, 0.01)),
    "784-500-500-500-10": ((500, 500, 500), 500, 8, 0.5, 1.0, (0.128, 0.032, 0.008, 0.002)),
}


@pytest.mark.parametrize("architecture", PAPER_ARCHITECTURES)
def test_paper_hyperparameters_match_table(architecture):
    params = paper_hyperparameters(architecture)
    hidden, n_free, n_nudged, epsilon, beta, alphas = PAPER_TABLE[architecture]
    assert params["hidden_layer_sizes"] == hidden
    assert (params["n_iter_free"], params["n_iter_nudged"]) == (n_free, n_nudged)
    assert (params["epsilon"], params["beta"]) == (epsilon, beta)
    assert params["learning_rate"] == alphas
    assert params["batch_size"] == 20
    assert params["nudging"] == "random_sign"
    clf = EqPropClassifier(**params)  # every key is a constructor argument
    assert clf.get_params()["hidden_layer_sizes"] == hidden
    # "auto" learning rates of the same depth are the paper's
    assert default_learning_rates(len(hidden) + 1) == alphas


@pytest.mark.parametrize("architecture", PAPER_ARCHITECTURES)
def test_paper_hyperparameters_of_the_reference_code(architecture):
    """The code nudges ||y - d||^2 (no 1/2) with beta 0.5 for one hidden layer and 1.0 for the
    deep nets: our C with beta 1.0 / 2.0, and twice Table 1's rates for all three."""
    table = paper_hyperparameters(architecture)
    code = paper_hyperparameters(architecture, variant="code")
    assert code["beta"] == (1.0 if architecture == "784-500-10" else 2.0)
    assert code["learning_rate"] == tuple(2 * a for a in table["learning_rate"])
    expected_free = {"784-500-10": 20, "784-500-500-10": 150, "784-500-500-500-10": 500}
    assert code["n_iter_free"] == expected_free[architecture]
    with pytest.raises(ValueError, match="variant"):
        paper_hyperparameters(architecture, variant="blog")


@pytest.mark.parametrize("architecture", PAPER_ARCHITECTURES)
def test_fast_hyperparameters_keep_the_architecture(architecture):
    fast = fast_hyperparameters(architecture)
    assert fast["hidden_layer_sizes"] == paper_hyperparameters(architecture)["hidden_layer_sizes"]
    assert fast["batch_size"] == 20 and fast["relaxation"] == "layerwise"
    EqPropClassifier(**fast)  # every key is a constructor argument
    with pytest.raises(ValueError, match="Unknown architecture"):
        fast_hyperparameters("784-10")


def test_paper_hyperparameters_rejects_unknown_architecture():
    with pytest.raises(ValueError, match="784-500-10"):
        paper_hyperparameters("784-100-10")


def test_default_learning_rate_rule_for_deeper_networks():
    assert default_learning_rates(5) == pytest.approx((0.128, 0.032, 0.008, 0.002, 0.0005))


@pytest.mark.parametrize("architecture", PAPER_ARCHITECTURES)
def test_paper_presets_set_the_paper_network_where_the_defaults_differ(architecture):
    """The defaults are chosen for everyday data; a preset must not inherit them."""
    clf = EqPropClassifier(**paper_hyperparameters(architecture))
    assert clf.output == "energy" and clf.input_scaling is None
    assert clf.solver == "sgd" and clf.alpha == 0.0 and clf.init_gain == 1.0
    assert clf.relaxation == "gradient" and clf.relax_tol is None
    assert clf.persistent_particles and clf.batch_size == 20
    assert clf.nudging == "random_sign"
    fast = EqPropClassifier(**fast_hyperparameters(architecture))
    assert fast.output == "energy" and fast.input_scaling is None and fast.solver == "sgd"
    # Training starts from zero states as predict does, and stops each sample settled.
    assert not fast.persistent_particles and fast.relax_tol is not None


@pytest.mark.parametrize(
    "hidden, learning_rate, expected",
    [
        ((8,), "auto", (0.1, 0.05)),
        ((8, 8), "auto", (0.4, 0.1, 0.01)),
        ((8, 8, 8), 0.2, (0.2, 0.2, 0.2, 0.2)),
        ((8, 8), [0.3, 0.2, 0.1], (0.3, 0.2, 0.1)),
    ],
)
def test_learning_rates_resolved_per_layer(digits, hidden, learning_rate, expected):
    X_train, _, y_train, _ = digits
    # "auto" is the paper's rates for its plain steps (Adam's: test_review_defects.py).
    clf = small(hidden_layer_sizes=hidden, learning_rate=learning_rate, max_iter=1,
                solver="sgd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train[:100], y_train[:100])
    assert clf.learning_rates_ == pytest.approx(expected)
    assert [W.shape for W in clf.coefs_] == [
        (a, b) for a, b in zip([64, *hidden], [*hidden, 10])
    ]
    assert clf.n_layers_ == len(hidden) + 2


def test_learning_rate_of_wrong_length_says_expected_length(digits):
    X_train, _, y_train, _ = digits
    clf = small(hidden_layer_sizes=(8, 8), learning_rate=(0.1, 0.05))
    with pytest.raises(ValueError, match="2 entries but the network has 3 weight layers"):
        clf.fit(X_train, y_train)


# ---------------------------------------------------------------- learning
def test_default_classifier_learns_digits(digits):
    X_train, X_test, y_train, y_test = digits
    clf = EqPropClassifier(random_state=0, max_iter=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.93
    assert clf.n_iter_ == 10 and clf.t_ == 10 * len(X_train)
    assert len(clf.loss_curve_) == 10 and clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.train_error_curve_[-1] < clf.train_error_curve_[0]


@pytest.mark.parametrize("nudging", ["positive", "symmetric"])
def test_other_nudging_schemes_learn(digits, nudging):
    X_train, X_test, y_train, y_test = digits
    clf = small(nudging=nudging, beta=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.85


@pytest.mark.parametrize("nudging", ["random_sign", "symmetric"])
def test_layerwise_relaxation_with_tolerance_learns(digits, nudging):
    X_train, X_test, y_train, y_test = digits
    clf = small(relaxation="layerwise", relax_tol=1e-4, n_iter_free=10, n_iter_nudged=4,
                beta=0.5, nudging=nudging)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.85
    # Predictions stay independent of the batch with per-sample stopping.
    whole = clf.predict_proba(X_test[:30])
    alone = np.vstack([clf.predict_proba(X_test[i : i + 1]) for i in range(30)])
    np.testing.assert_allclose(whole, alone, rtol=1e-12, atol=1e-12)


def test_layerwise_with_beta_one_and_negative_phases_warns(digits):
    X_train, _, y_train, _ = digits
    with pytest.warns(UserWarning, match="concave"):
        small(output="energy", relaxation="layerwise", beta=1.0, max_iter=1).fit(
            X_train[:40], y_train[:40]
        )


def test_streaming_partial_fit_reaches_90_percent_within_five_passes(digits):
    X_train, X_test, y_train, y_test = digits
    clf = EqPropClassifier(random_state=0)
    scores = []
    for _ in range(5):
        for start in range(0, len(X_train), 200):
            rows = slice(start, start + 200)
            clf.partial_fit(X_train[rows], y_train[rows], classes=np.arange(10))
        scores.append(clf.score(X_test, y_test))
    assert max(scores) >= 0.90, scores
    assert clf.n_iter_ == 5 * int(np.ceil(len(X_train) / 200))


def test_pipeline_grid_search_over_beta_and_learning_rate_in_parallel(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(MinMaxScaler(), small(hidden_layer_sizes=(100,), max_iter=10))
    grid = {
        "eqpropclassifier__beta": [0.5, 1.0],
        "eqpropclassifier__learning_rate": [0.05, (0.1, 0.05)],
    }
    search = GridSearchCV(pipe, grid, cv=2, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train * 16, y_train)  # unscaled pixels: the scaler maps them to [0, 1]
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.85
    assert search.score(X_test * 16, y_test) > 0.85


def test_early_stopping_keeps_best_validation_epoch(digits):
    X_train, _, y_train, _ = digits
    clf = small(early_stopping=True, max_iter=30, n_iter_no_change=2, validation_fraction=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.n_iter_ < 30


def test_no_improvement_stops_training_before_max_iter(digits):
    X_train, _, y_train, _ = digits
    clf = small(max_iter=200, n_iter_no_change=2, tol=1.0)  # no epoch improves by 1.0
    clf.fit(X_train, y_train)
    # The first epoch sets the best loss; three more without improvement exceed 2.
    assert clf.n_iter_ == 4


def test_max_iter_reached_warns(digits):
    X_train, _, y_train, _ = digits
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        small(max_iter=2).fit(X_train, y_train)


def test_warm_start_continues_from_previous_weights(digits):
    X_train, _, y_train, _ = digits
    clf = small(max_iter=1, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
        first = [W.copy() for W in clf.coefs_]
        clf.fit(X_train, y_train)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    assert not np.allclose(first[0], clf.coefs_[0])
    cold = small(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold.fit(X_train, y_train)
    np.testing.assert_array_equal(first[0], cold.coefs_[0])


# ---------------------------------------------------------------- predictions
@pytest.fixture(scope="module")
def fitted(digits):
    X_train, _, y_train, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return small(max_iter=3).fit(X_train, y_train)


def test_predict_proba_is_normalised_and_agrees_with_predict(fitted, digits):
    X_test = digits[1]
    proba = fitted.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(fitted.classes_[proba.argmax(axis=1)], fitted.predict(X_test))


def test_prediction_does_not_depend_on_the_batch(fitted, digits):
    X_test = digits[1]
    whole = fitted.predict_proba(X_test)
    one_by_one = np.vstack([fitted.predict_proba(X_test[i : i + 1]) for i in range(20)])
    np.testing.assert_allclose(whole[:20], one_by_one, rtol=1e-12, atol=1e-12)


def test_string_labels_and_pickle_round_trip(digits):
    X_train, X_test, y_train, _ = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = small(max_iter=2).fit(X_train, names[y_train])
    assert set(clf.predict(X_test)) <= set(names)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X_test), clf.predict_proba(X_test))


def test_float32_input_trains_in_float32(digits):
    X_train, X_test, y_train, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = small(max_iter=1).fit(X_train.astype(np.float32), y_train)
    assert all(W.dtype == np.float32 for W in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X_test).shape == (len(X_test), 10)


def test_verbose_two_adds_relaxation_statistics(digits, capsys):
    X_train, _, y_train, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        small(max_iter=2, verbose=2, relaxation="layerwise", relax_tol=1e-3, beta=0.5,
              n_iter_free=30).fit(X_train, y_train)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    match = re.match(r" +relaxation \(layerwise\): free phase (\d+\.\d) sweeps per sample "
                     r"\(cap 30\), nudged phase (\d+\.\d) \(cap 4\)", lines[3])
    assert match
    free, nudged = map(float, match.groups())
    # Persistent particles start the second epoch near its fixed points: few sweeps.
    assert 1 <= free < 30 and 1 <= nudged <= 4


def test_verbose_prints_one_line_per_epoch(digits, capsys):
    X_train, _, y_train, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        small(max_iter=2, verbose=1).fit(X_train, y_train)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert re.match(r"\[1/2\] loss \d\.\d+, train err \d+\.\d+%, \d+\.\ds, eta \d+s$", lines[0])
    assert re.match(r"\[2/2\] loss \d\.\d+, train err \d+\.\d+%, \d+\.\ds$", lines[1])
