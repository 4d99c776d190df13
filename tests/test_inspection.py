"""The inspection tools: LossCurveDisplay, RelaxationDisplay and gradient_alignment."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import paper_network
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk_eqprop import EqPropClassifier, EqPropRegressor
from sk_eqprop._base import training_settings
from sk_eqprop._core import (
    cost,
    glorot_uniform,
    relax,
    split_states,
    total_energy,
    zero_states,
)
from sk_eqprop.inspection import LossCurveDisplay, RelaxationDisplay, gradient_alignment
from sk_eqprop.inspection._alignment import _implicit_gradient


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y)


@pytest.fixture(scope="module")
def fitted(digits):
    X, y = digits
    clf = EqPropClassifier(**paper_network(
        hidden_layer_sizes=(16,), max_iter=4, early_stopping=True, random_state=0
    ))
    return fit_quietly(clf, X, y)


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def fingerprint(estimator):
    """What must not change: parameter bytes and the set of attributes."""
    return (
        [W.tobytes() for W in estimator.coefs_],
        [b.tobytes() for b in estimator.intercepts_],
        sorted(vars(estimator)),
        estimator.get_params(),
    )


def test_importing_inspection_does_not_import_matplotlib():
    code = "import sys, sk_eqprop.inspection; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ LossCurveDisplay
def test_loss_curve_display_draws_the_recorded_curves(pyplot, fitted):
    before = fingerprint(fitted)
    display = LossCurveDisplay.from_estimator(fitted)
    assert fingerprint(fitted) == before

    assert display.ax_.figure is display.figure_
    assert display.error_ax_ is not None
    assert len(display.lines_) == 3
    loss, train_error, validation_error = display.lines_
    epochs = np.arange(1, fitted.n_iter_ + 1)
    for line in display.lines_:
        np.testing.assert_array_equal(line.get_xdata(), epochs)
    np.testing.assert_allclose(loss.get_ydata(), fitted.loss_curve_)
    np.testing.assert_allclose(train_error.get_ydata(), fitted.train_error_curve_)
    np.testing.assert_allclose(
        validation_error.get_ydata(), 1 - np.asarray(fitted.validation_scores_)
    )
    assert loss.axes is display.ax_
    assert validation_error.axes is display.error_ax_
    assert display.ax_.get_xlabel() == "Epoch"
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == [
        "EqPropClassifier: training loss",
        "EqPropClassifier: training error",
        "EqPropClassifier: validation error",
    ]


def test_loss_curve_display_honours_ax_and_name(pyplot, fitted):
    fig, (left, right) = pyplot.subplots(1, 2)
    display = LossCurveDisplay.from_estimator(fitted, ax=right, name="EqProp")
    assert display.ax_ is right
    assert display.figure_ is fig
    assert not left.lines
    assert display.lines_[0].get_label() == "EqProp: training loss"


def test_loss_curve_display_without_validation_and_on_pipelines_and_mlp(pyplot, digits):
    X, y = digits
    pipe = fit_quietly(
        make_pipeline(
            MinMaxScaler(), EqPropClassifier(**paper_network(hidden_layer_sizes=(8,), max_iter=2, random_state=0))
        ),
        X,
        y,
    )
    display = LossCurveDisplay.from_estimator(pipe)
    assert [line.get_label() for line in display.lines_] == [
        "EqPropClassifier: training loss",
        "EqPropClassifier: training error",
    ]
    mlp = fit_quietly(MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0), X, y)
    display = LossCurveDisplay.from_estimator(mlp)
    assert len(display.lines_) == 1 and display.error_ax_ is None
    np.testing.assert_allclose(display.lines_[0].get_ydata(), mlp.loss_curve_)


def test_loss_curve_display_requires_a_fitted_estimator_with_a_loss_curve(pyplot, digits):
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(EqPropClassifier(**paper_network()))
    X, y = digits
    lbfgs = fit_quietly(
        MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0),
        X,
        y,
    )
    with pytest.raises(ValueError, match="no loss_curve_"):
        LossCurveDisplay.from_estimator(lbfgs)


# ------------------------------------------------------------------ RelaxationDisplay
def float64_network(estimator):
    return (
        [W.astype(np.float64) for W in estimator.coefs_],
        [b.astype(np.float64) for b in estimator.intercepts_],
    )


def test_relaxation_display_records_free_then_nudged_energy(pyplot, fitted, digits):
    X, y = digits
    X, y = X[:30], y[:30]
    before = fingerprint(fitted)
    display = RelaxationDisplay.from_estimator(fitted, X, y, beta=0.5, n_iter=(12, 6))
    assert fingerprint(fitted) == before

    assert display.free_energy.shape == (13,)
    assert display.nudged_energy.shape == (7,)
    assert display.beta == 0.5
    free_line, nudged_line = display.lines_
    np.testing.assert_array_equal(free_line.get_xdata(), np.arange(13))
    np.testing.assert_array_equal(nudged_line.get_xdata(), np.arange(12, 19))
    np.testing.assert_allclose(free_line.get_ydata(), display.free_energy)
    np.testing.assert_allclose(nudged_line.get_ydata(), display.nudged_energy)
    assert display.boundary_.get_xdata()[0] == 12
    assert display.activity_ax_ is None and display.activity_lines_ == []
    assert display.ax_.figure is display.figure_

    # The same dynamics run in one call reach the same states.
    weights, biases = float64_network(fitted)
    target = np.eye(10)[y]
    states = zero_states(len(X), weights)
    assert display.free_energy[0] == 0.0  # E = 0 at zero states
    relax(X @ weights[0], states, weights, biases, 12, epsilon=fitted.epsilon)
    np.testing.assert_allclose(
        display.free_energy[-1], total_energy(X, states, weights, biases).mean()
    )
    free_cost = cost(split_states(states, weights)[-1], target).mean()
    np.testing.assert_allclose(display.free_cost[-1], free_cost)
    np.testing.assert_allclose(
        display.nudged_energy[0], display.free_energy[-1] + 0.5 * free_cost
    )
    relax(X @ weights[0], states, weights, biases, 6, beta=0.5, target=target)
    np.testing.assert_allclose(
        display.nudged_energy[-1],
        total_energy(X, states, weights, biases, 0.5, target).mean(),
    )


def test_relaxation_display_defaults_and_free_phase_only(pyplot, fitted, digits):
    X, y = digits
    display = RelaxationDisplay.from_estimator(fitted, X[:10], y[:10])
    assert display.free_energy.shape == (fitted.n_iter_free + 1,)
    assert display.nudged_energy.shape == (training_settings(fitted).n_iter_nudged + 1,)
    assert display.beta == fitted.beta
    display = RelaxationDisplay.from_estimator(fitted, X[:10], n_iter=5)
    assert display.nudged_energy is None and display.boundary_ is None
    assert len(display.lines_) == 1 and display.free_energy.shape == (6,)


def test_relaxation_display_states_and_ax(pyplot, fitted, digits):
    X, y = digits
    fig, axes = pyplot.subplots(1, 3)
    display = RelaxationDisplay.from_estimator(
        fitted, X[:10], y[:10], n_iter=(5, 3), states=True, ax=axes[1:]
    )
    assert display.ax_ is axes[1] and display.activity_ax_ is axes[2]
    assert display.figure_ is fig
    assert not axes[0].lines
    assert display.free_activity.shape == (6, 2)
    assert display.nudged_activity.shape == (4, 2)
    hidden, output = display.activity_lines_
    assert [hidden.get_label(), output.get_label()] == ["hidden layer 1", "output layer"]
    np.testing.assert_array_equal(output.get_xdata(), np.arange(9))
    assert output.get_ydata()[0] == 0.0  # zero states
    np.testing.assert_allclose(output.get_ydata()[5:], display.nudged_activity[:, 1])

    fig, ax = pyplot.subplots()
    display = RelaxationDisplay.from_estimator(fitted, X[:10], y[:10], ax=ax)
    assert display.ax_ is ax
    with pytest.raises(ValueError, match="two Axes"):
        RelaxationDisplay.from_estimator(fitted, X[:10], states=True, ax=ax)


@pytest.mark.parametrize("beta", [1.0, -0.5])
def test_layerwise_relaxation_never_increases_the_displayed_energy(pyplot, digits, beta):
    X, y = digits
    clf = fit_quietly(
        EqPropClassifier(**paper_network(
            hidden_layer_sizes=(16, 12), relaxation="layerwise", max_iter=2, random_state=0
        )),
        X,
        y,
    )
    display = RelaxationDisplay.from_estimator(clf, X[:50], y[:50], beta=beta, n_iter=(15, 8))
    assert np.all(np.diff(display.free_energy) <= 1e-12)
    assert np.all(np.diff(display.nudged_energy) <= 1e-12)
    assert display.free_energy[-1] < display.free_energy[0]
    assert display.ax_.get_xlabel() == "Relaxation sweep"


def test_relaxation_display_respects_relax_tol(pyplot, digits):
    X, y = digits
    clf = fit_quietly(
        EqPropClassifier(**paper_network(hidden_layer_sizes=(16,), relax_tol=1e-3, max_iter=2, random_state=0)),
        X,
        y,
    )
    display = RelaxationDisplay.from_estimator(clf, X[:40], n_iter=60)
    weights, biases = float64_network(clf)
    states = zero_states(40, weights)
    relax(X[:40] @ weights[0], states, weights, biases, 60, epsilon=clf.epsilon, tol=1e-3)
    np.testing.assert_allclose(
        display.free_energy[-1], total_energy(X[:40], states, weights, biases).mean()
    )


def test_relaxation_display_on_a_pipeline_and_unknown_classes(pyplot, digits):
    X, y = digits
    pipe = fit_quietly(
        make_pipeline(
            MinMaxScaler(), EqPropClassifier(**paper_network(hidden_layer_sizes=(8,), max_iter=2, random_state=0))
        ),
        X * 16,
        y,
    )
    display = RelaxationDisplay.from_estimator(pipe, X[:10] * 16, y[:10], name="pipe")
    assert display.ax_.get_title().startswith("pipe:")
    with pytest.raises(ValueError, match="not fitted on"):
        RelaxationDisplay.from_estimator(pipe, X[:2], [0, 42])


# ------------------------------------------------------------------ gradient_alignment
def test_implicit_gradient_matches_finite_differences():
    """The reference of gradient_alignment is the derivative of the cost at the fixed point."""
    rng = np.random.default_rng(0)
    sizes = [5, 7, 6, 3]
    weights, biases = glorot_uniform(sizes, rng)
    biases = [rng.uniform(-0.3, 0.3, size=b.shape) for b in biases]
    x = rng.uniform(0, 1, size=(4, sizes[0]))
    target = np.eye(sizes[-1])[rng.integers(sizes[-1], size=4)]

    def fixed_point():
        states = zero_states(len(x), weights)
        relax(x @ weights[0], states, weights, biases, 300, method="layerwise")
        return states

    def mean_cost():
        return cost(split_states(fixed_point(), weights)[-1], target).mean()

    states = fixed_point()
    interior = (states > 0) & (states < 1)
    assert 0 < interior.mean() < 1  # both saturated and free units
    weight_grads, bias_grads = _implicit_gradient(x, states, target, weights)
    step = 1e-6
    for param, grad in zip(weights + biases, weight_grads + bias_grads):
        expected = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            original = param[index]
            param[index] = original + step
            plus = mean_cost()
            param[index] = original - step
            minus = mean_cost()
            param[index] = original
            expected[index] = (plus - minus) / (2 * step)
        np.testing.assert_allclose(grad, expected, atol=1e-8)


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(relaxation="layerwise"),
        dict(nudging="symmetric"),
        dict(hidden_layer_sizes=(24, 12), relaxation="layerwise"),
    ],
    ids=["gradient", "layerwise", "symmetric", "two-hidden-layers"],
)
def test_eqprop_update_is_aligned_with_the_gradient(digits, params):
    """Paper, Theorem 1, on a network fitted briefly on digits."""
    X, y = digits
    clf = fit_quietly(
        EqPropClassifier(**paper_network(**{"hidden_layer_sizes": (24,), **params}, max_iter=3, random_state=0)),
        X,
        y,
    )
    before = fingerprint(clf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the relaxation must converge
        result = gradient_alignment(clf, X[:150], y[:150])
    assert fingerprint(clf) == before
    n_params = 2 * len(clf.coefs_)
    assert result["parameters"][0] == "coefs_[0]"
    assert result["parameters"][-1] == f"intercepts_[{len(clf.coefs_) - 1}]"
    for key in ("cosine", "norm_ratio", "eqprop_gradient", "true_gradient"):
        assert len(result[key]) == n_params
    for grad, param in zip(result["true_gradient"], clf.coefs_ + clf.intercepts_):
        assert grad.shape == param.shape
    assert min(result["cosine"]) >= 0.95
    assert all(0.7 <= ratio <= 1.3 for ratio in result["norm_ratio"])
    assert result["fixed_point_residual"] < 1e-4


def test_gradient_alignment_bias_shrinks_with_beta(digits):
    X, y = digits
    clf = fit_quietly(
        EqPropClassifier(**paper_network(hidden_layer_sizes=(24,), relaxation="layerwise", max_iter=3,
                         random_state=0)),
        X,
        y,
    )

    def error(beta):
        result = gradient_alignment(clf, X[:100], y[:100], beta=beta)
        flat = [np.concatenate([g.ravel() for g in result[key]])
                for key in ("eqprop_gradient", "true_gradient")]
        return np.linalg.norm(flat[0] - flat[1])

    assert error(0.01) < error(0.1) / 3


def test_gradient_alignment_warns_when_the_relaxation_has_not_converged(digits):
    X, y = digits
    clf = fit_quietly(
        EqPropClassifier(**paper_network(hidden_layer_sizes=(24, 12), max_iter=2, random_state=0)), X, y
    )
    with pytest.warns(UserWarning, match="Increase n_iter"):
        result = gradient_alignment(clf, X[:50], y[:50], n_iter=5)
    assert result["fixed_point_residual"] > 1e-4
    with pytest.raises(ValueError, match="beta must be positive"):
        gradient_alignment(clf, X[:50], y[:50], beta=0.0)


def test_inspection_of_a_regressor(pyplot):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(200, 6))
    y = np.column_stack([X[:, :3].sum(axis=1), X[:, 3] - X[:, 4]])
    reg = fit_quietly(
        EqPropRegressor(**paper_network(hidden_layer_sizes=(12,), max_iter=3, early_stopping=True,
                        random_state=0)),
        X,
        y,
    )
    before = fingerprint(reg)
    display = LossCurveDisplay.from_estimator(reg)
    assert [line.get_label() for line in display.lines_] == [
        "EqPropRegressor: training loss",
        "EqPropRegressor: 1 - validation R²",
    ]
    np.testing.assert_allclose(
        display.lines_[1].get_ydata(), 1 - np.asarray(reg.validation_scores_)
    )
    display = RelaxationDisplay.from_estimator(reg, X[:20], y[:20], n_iter=(10, 4))
    # The nudged phase pulls the outputs towards the targets, mapped onto [0, 1].
    assert display.nudged_cost[-1] < display.nudged_cost[0]
    result = gradient_alignment(reg, X[:100], y[:100])
    assert min(result["cosine"]) >= 0.95
    assert fingerprint(reg) == before


def test_sparse_input_gives_the_dense_results(pyplot, fitted, digits):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = digits
    dense = gradient_alignment(fitted, X[:40], y[:40])
    result = gradient_alignment(fitted, sparse.csr_matrix(X[:40]), y[:40])
    np.testing.assert_allclose(result["cosine"], dense["cosine"])
    display = RelaxationDisplay.from_estimator(fitted, sparse.csr_matrix(X[:10]), y[:10])
    reference = RelaxationDisplay.from_estimator(fitted, X[:10], y[:10])
    np.testing.assert_allclose(display.nudged_energy, reference.nudged_energy)


def test_inspection_of_a_multilabel_classifier(pyplot, digits):
    X, y = digits
    labels = np.column_stack([y % 2, y >= 5, np.isin(y, [2, 3, 5, 7])]).astype(int)
    clf = fit_quietly(
        EqPropClassifier(**paper_network(hidden_layer_sizes=(16,), max_iter=3, random_state=0)), X, labels
    )
    display = RelaxationDisplay.from_estimator(clf, X[:20], labels[:20], n_iter=(10, 4))
    assert display.nudged_cost[-1] < display.nudged_cost[0]
    result = gradient_alignment(clf, X[:100], labels[:100])
    assert min(result["cosine"]) >= 0.9
