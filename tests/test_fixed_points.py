"""Training learns at the fixed points that prediction reaches (issue: everyday data)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_moons
from sklearn.exceptions import ConvergenceWarning

from sk_eqprop import EqPropClassifier, EqPropRegressor, fast_hyperparameters
from sk_eqprop._base import network_input, training_settings
from sk_eqprop._core import relax, zero_states
from sk_eqprop._core.training import free_phase, input_drive, network_outputs


def training_free_phase_outputs(clf, X):
    """The outputs of the free phase as training runs it (its start, cap and tolerance)."""
    W, b = clf.coefs_, clf.intercepts_
    settings = training_settings(clf)
    x = network_input(clf, X)
    states = zero_states(X.shape[0], settings.relaxing(W))
    free_phase(settings, input_drive(x, W[0]), states, W, b, clf.n_iter_free, tol=clf.relax_tol)
    return network_outputs(states, W, b, settings.link)


@pytest.mark.parametrize(
    "params",
    [
        {},  # the defaults: readout, layerwise, tolerance
        {"output": "energy"},
        {"hidden_layer_sizes": (32, 16)},
        {**fast_hyperparameters("784-500-10"), "hidden_layer_sizes": (64,), "max_iter": 5},
    ],
    ids=["defaults", "energy-output", "two-hidden-layers", "fast-preset"],
)
def test_training_free_phase_reaches_the_fixed_point_predict_reaches(params):
    X, y = load_digits(return_X_y=True)
    clf = EqPropClassifier(**{"max_iter": 20, "random_state": 0, **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[:600], y[:600])
    trained = training_free_phase_outputs(clf, X[600:900].astype(clf.coefs_[0].dtype))
    predicted = clf._free_outputs(X[600:900])
    # Both stop a sample once no unit moves by more than relax_tol; they agree to
    # within a few of those moves.
    np.testing.assert_allclose(trained, predicted, atol=10 * clf.relax_tol)
    assert np.mean(trained.argmax(1) == predicted.argmax(1)) >= 0.99


def test_predict_warns_about_samples_that_hit_its_cap():
    X, y = make_moons(200, noise=0.2, random_state=0)
    clf = EqPropClassifier(
        output="energy", relaxation="gradient", hidden_layer_sizes=(16, 16), max_iter=3,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    clf.set_params(n_iter_predict=1)
    with pytest.warns(ConvergenceWarning, match="did not settle within 1 relaxation"):
        capped = clf.predict_proba(X)
    clf.set_params(n_iter_predict=500)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        settled = clf.predict_proba(X)
    assert not np.allclose(capped, settled)


@pytest.mark.parametrize("Estimator", [EqPropClassifier, EqPropRegressor])
def test_input_scaling_makes_the_network_blind_to_affine_feature_maps(Estimator):
    X, y = make_moons(200, noise=0.2, random_state=0)
    shifted = X * np.array([1000.0, 0.001]) + np.array([-7.0, 40.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = Estimator(max_iter=5, random_state=0).fit(X, y)
        b = Estimator(max_iter=5, random_state=0).fit(shifted, y)
    np.testing.assert_allclose(a.predict(X), b.predict(shifted), atol=1e-6)
    assert a.input_scale_.shape == (2,) and b.input_scale_[0] > 100


def test_readout_probabilities_are_a_softmax_and_match_predict():
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = EqPropClassifier(max_iter=5, random_state=0).fit(X[:500], y[:500])
    proba = clf.predict_proba(X[500:700])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-10)
    assert (proba > 0).all()
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(X[500:700]))


def test_warm_start_continues_adam_from_its_moments():
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        once = EqPropClassifier(max_iter=4, random_state=0, shuffle=False).fit(X[:400], y[:400])
        twice = EqPropClassifier(max_iter=2, random_state=0, shuffle=False, warm_start=True)
        twice.fit(X[:400], y[:400]).fit(X[:400], y[:400])
    assert twice._adam_state["t"] == once._adam_state["t"]
    for a, b in zip(once.coefs_, twice.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("link", ["softmax", "logistic", "identity"])
def test_readout_direction_is_minus_the_gradient_of_its_loss(link):
    from sk_eqprop._core import readout_direction, readout_loss, readout_outputs

    rng = np.random.RandomState(0)
    h = rng.uniform(size=(5, 4))
    W, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    target = np.eye(3)[[0, 2, 1, 1, 0]] if link != "identity" else rng.uniform(size=(5, 3))

    def mean_loss(W, b):
        return readout_loss(readout_outputs(h, W, b, link), target, link).mean()

    dW, db = np.empty_like(W), np.empty_like(b)
    readout_direction(h, readout_outputs(h, W, b, link), target, dW, db, link=link)
    eps = 1e-6
    for i, j in [(0, 0), (3, 2), (1, 1)]:
        Wp, Wm = W.copy(), W.copy()
        Wp[i, j] += eps
        Wm[i, j] -= eps
        assert dW[i, j] == pytest.approx(-(mean_loss(Wp, b) - mean_loss(Wm, b)) / (2 * eps), abs=1e-6)
    bp, bm = b.copy(), b.copy()
    bp[1] += eps
    bm[1] -= eps
    assert db[1] == pytest.approx(-(mean_loss(W, bp) - mean_loss(W, bm)) / (2 * eps), abs=1e-6)


def test_readout_nudge_approaches_the_gradient_of_the_loss_as_beta_goes_to_zero():
    """The hidden layers' EqProp estimate tends to -dL/dW_0 (finite differences) as beta -> 0."""
    from sk_eqprop._core import contrastive_gradient, readout_loss, readout_outputs

    rng = np.random.RandomState(1)
    x = rng.uniform(size=(6, 5))
    W0, W1 = rng.normal(scale=0.5, size=(5, 4)), rng.normal(size=(4, 3))
    b0, b1 = rng.uniform(0.2, 0.4, size=4), rng.normal(size=3)
    target = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    readout = (W1, b1, "softmax")

    def free(W0):
        s = zero_states(6, [W0])
        relax(x @ W0, s, [W0], [b0], 50, method="layerwise", tol=1e-14)
        return s

    def loss(W0):
        return readout_loss(readout_outputs(free(W0), W1, b1, "softmax"), target, "softmax").mean()

    eps = 1e-6
    true = np.empty_like(W0)
    for i in range(5):
        for j in range(4):
            Wp, Wm = W0.copy(), W0.copy()
            Wp[i, j] += eps
            Wm[i, j] -= eps
            true[i, j] = (loss(Wp) - loss(Wm)) / (2 * eps)
    errors = []
    for beta in (0.1, 0.01, 0.001):
        s0 = free(W0)
        sb = s0.copy()
        relax(x @ W0, sb, [W0], [b0], 200, method="layerwise", beta=beta, target=target,
              tol=1e-14, readout=readout)
        (estimate,), _ = contrastive_gradient(x, s0, sb, beta, [W0])
        errors.append(np.abs(estimate - true).max())
    assert errors[2] < errors[0] and errors[2] < 0.05 * np.abs(true).max() + 1e-6


def test_input_scaling_of_huge_float32_features_stays_finite():
    X, y = make_moons(100, noise=0.2, random_state=0)
    X = (X * 1e30).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = EqPropClassifier(max_iter=20, random_state=0).fit(X, y)
    assert np.isfinite(clf.input_scale_).all() and clf.score(X, y) > 0.8


def test_default_multilabel_classifier_uses_a_logistic_readout():
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(n_samples=300, n_features=10, n_classes=4,
                                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = EqPropClassifier(random_state=0).fit(X, Y)
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape and ((proba > 0) & (proba < 1)).all()
    np.testing.assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
    assert clf.score(X, Y) > 0.5  # subset accuracy, well above chance (1/16)
