"""Networks with interacting hidden layers: the coupling bound, the nudged phase's
budget, the readout's damped step and the depth-dependent defaults."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_digits, make_moons

from sk_eqprop import EqPropClassifier, EqPropRegressor
from sk_eqprop._base import training_settings
from sk_eqprop._core import readout_loss, readout_outputs, relax, zero_states
from sk_eqprop._core.coupling import (
    auto_coupling_bound,
    bound_couplings,
    coupling_indices,
    project_onto_bound,
)
from sk_eqprop._core.energy import energy
from sk_eqprop._core.relaxation import readout_damping
from sk_eqprop.inspection import gradient_alignment

X_digits, y_digits = load_digits(return_X_y=True)


def fit_quietly(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, **kw)


def random_network(rng, sizes, bound=None):
    weights = [rng.normal(0, 1.0 / np.sqrt(m), (m, n)) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0, 0.3, n) for n in sizes[1:]]
    if bound is not None:
        indices = coupling_indices(len(weights), readout=False)
        bound_couplings(weights, indices, bound)
    return weights, biases


# ------------------------------------------------------------------ the coupling bound
@given(st.integers(0, 10_000), st.integers(2, 30), st.integers(2, 30),
       st.floats(0.05, 3.0))
def test_projection_clips_the_singular_values_above_the_bound_and_keeps_the_rest(
        seed, m, n, bound):
    W = np.random.RandomState(seed).normal(size=(m, n))
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    projected = W.copy()
    project_onto_bound(projected, bound)
    # The nearest matrix with singular values <= bound: the same singular vectors,
    # min(s, bound) as singular values.
    np.testing.assert_allclose(projected, (U * np.minimum(s, bound)) @ Vt,
                               atol=1e-9 * max(1.0, s[0]))
    below = W * (0.999 * bound / s[0])
    unchanged = below.copy()
    project_onto_bound(unchanged, bound)
    np.testing.assert_array_equal(unchanged, below)  # within the bound: left alone


def test_projection_keeps_the_directions_it_does_not_clip():
    # Scaling the whole matrix onto the bound would shrink every direction; the
    # projection leaves the singular values below the bound where they are.
    rng = np.random.RandomState(0)
    U, _ = np.linalg.qr(rng.normal(size=(20, 20)))
    V, _ = np.linalg.qr(rng.normal(size=(20, 20)))
    s = np.linspace(2.0, 0.1, 20)
    W = (U * s) @ V.T
    project_onto_bound(W, 0.5)
    clipped = np.linalg.svd(W, compute_uv=False)
    np.testing.assert_allclose(clipped, np.minimum(s, 0.5), atol=1e-12)


def test_auto_bound_keeps_the_chain_norm_whatever_the_depth():
    # ||A|| <= 2 cos(pi / (n + 1)) c for a chain of n free layers: the bound that keeps
    # it at 0.8 is 0.8 for two layers and shrinks with depth.
    assert auto_coupling_bound(2) == pytest.approx(0.8)
    for n in range(2, 7):
        path = np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1)
        assert auto_coupling_bound(n) * np.linalg.norm(path, 2) == pytest.approx(0.8)
    X, y = X_digits[:50], y_digits[:50]
    deep = fit_quietly(EqPropClassifier(hidden_layer_sizes=(8, 8, 8), max_iter=2), X, y)
    assert deep.coupling_bound_ == pytest.approx(auto_coupling_bound(3))
    energy = fit_quietly(EqPropClassifier(hidden_layer_sizes=(8,), output="energy",
                                          max_iter=2), X, y)
    assert energy.coupling_bound_ == pytest.approx(auto_coupling_bound(2))
    shallow = fit_quietly(EqPropClassifier(hidden_layer_sizes=(8,), max_iter=2), X, y)
    assert shallow.coupling_bound_ is None  # one hidden layer and a readout: no coupling


@given(st.integers(0, 10_000))
def test_bounded_couplings_give_one_fixed_point_from_any_start(seed):
    # Two free layers with ||W_1|| <= 0.8: F is strictly convex on the box, so the free
    # phase reaches the same fixed point from zero and from a random start, with either
    # dynamics.
    rng = np.random.RandomState(seed)
    weights, biases = random_network(rng, [5, 7, 6], bound=0.8)
    weights[1] *= 3.0 / np.linalg.norm(weights[1], 2) * 0.8 / 3.0  # exactly at the bound
    x = rng.uniform(-2, 2, (4, 5))
    drive = x @ weights[0]
    points = []
    for method in ("layerwise", "gradient"):
        for start in (zero_states(4, weights), rng.uniform(0, 1, (4, 13))):
            relax(drive, start, weights, biases, 20_000, method=method, tol=1e-13)
            points.append(start)
    for other in points[1:]:
        np.testing.assert_allclose(other, points[0], atol=1e-8)


def test_fit_keeps_every_coupling_within_the_bound_and_only_the_couplings():
    X, y = X_digits[:400], y_digits[:400]
    clf = fit_quietly(EqPropClassifier(hidden_layer_sizes=(20, 20, 20), max_iter=5,
                                       random_state=0), X, y)
    norms = [np.linalg.norm(W, 2) for W in clf.coefs_]
    assert all(norm <= clf.coupling_bound_ * (1 + 1e-6) for norm in norms[1:-1])
    assert norms[0] > 0.8 and norms[-1] > 0.8  # the input's and the readout's are free
    # The couplings keep their rank (a rescaled matrix collapses towards rank one).
    second = [np.linalg.svd(W, compute_uv=False)[1] for W in clf.coefs_[1:-1]]
    assert min(second) > 0.5 * clf.coupling_bound_
    free = fit_quietly(EqPropClassifier(hidden_layer_sizes=(20, 20, 20), max_iter=5,
                                        learning_rate=0.05, coupling_bound=None,
                                        random_state=0), X, y)
    assert max(np.linalg.norm(W, 2) for W in free.coefs_[1:-1]) > 0.9


def test_warm_start_and_partial_fit_keep_the_bound():
    X, y = X_digits[:300], y_digits[:300]
    params = dict(hidden_layer_sizes=(16, 16), max_iter=2, random_state=0)
    once = fit_quietly(EqPropClassifier(**params, warm_start=True), X, y)
    fit_quietly(once.set_params(coupling_bound=0.5), X, y)
    assert np.linalg.norm(once.coefs_[1], 2) <= 0.5 * (1 + 1e-6)
    inc = EqPropClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inc.partial_fit(X, y, classes=np.arange(10))
        inc.partial_fit(X, y)
    assert np.linalg.norm(inc.coefs_[1], 2) <= 0.8 * (1 + 1e-6)


def test_an_energy_output_is_a_coupling_and_the_paper_presets_have_no_bound():
    assert coupling_indices(3, readout=True) == (1,)
    assert coupling_indices(3, readout=False) == (1, 2)
    from sk_eqprop import fast_hyperparameters, paper_hyperparameters

    assert paper_hyperparameters("784-500-10")["coupling_bound"] is None
    assert fast_hyperparameters("784-500-500-10")["coupling_bound"] is None


# -------------------------------------------------------------- the readout's damped step
@given(st.integers(0, 10_000), st.sampled_from(["softmax", "logistic", "identity"]))
def test_damped_readout_step_never_increases_f_and_settles(seed, link):
    rng = np.random.RandomState(seed)
    weights, biases = random_network(rng, [4, 6])
    w_out = rng.normal(0, 1.0, (6, 3))  # large: the undamped step could oscillate
    b_out = rng.normal(0, 1, 3)
    beta = 12.0 if link == "logistic" else 2.0  # its loss is the mean of 3 labels'
    assert readout_damping(beta, w_out, link, 3) > 0
    x = rng.uniform(-1, 1, (5, 4))
    target = np.eye(3)[rng.randint(3, size=5)] if link != "identity" else rng.normal(size=(5, 3))
    states = rng.uniform(0, 1, (5, 6))

    def total(s):
        p = readout_outputs(s, w_out, b_out, link)
        return energy(x, s, weights, biases) + beta * readout_loss(p, target, link)

    before = total(states)
    for _ in range(1000):
        relax(x @ weights[0], states, weights, biases, 1, method="layerwise", beta=beta,
              target=target, readout=(w_out, b_out, link))
        now = total(states)
        assert np.all(now <= before + 1e-10)
        before = now
    previous = states.copy()
    relax(x @ weights[0], states, weights, biases, 1, method="layerwise", beta=beta,
          target=target, readout=(w_out, b_out, link))
    assert np.abs(states - previous).max() < 1e-7


def test_no_damping_where_the_undamped_step_contracts():
    w_out = np.full((4, 2), 0.1)
    assert readout_damping(0.2, w_out, "softmax", 2) == 0.0
    assert readout_damping(0.2, np.full((4, 2), np.inf), "softmax", 2) == 0.0


# ------------------------------------------------------------- the nudged phase's budget
def test_auto_nudged_budget_scales_with_beta_and_depth():
    X, y = X_digits[:100], y_digits[:100]
    one = fit_quietly(EqPropClassifier(max_iter=1, random_state=0), X, y)
    three = fit_quietly(EqPropClassifier(hidden_layer_sizes=(8, 8, 8), max_iter=1,
                                         random_state=0), X, y)
    def budget(clf):
        settings = training_settings(clf)
        return settings.n_iter_nudged, settings.nudged_tol

    assert budget(one) == (4, pytest.approx(1e-3 * 0.2))
    assert budget(three) == (12, pytest.approx(1e-3 * 0.2 / 16))
    fixed = fit_quietly(EqPropClassifier(n_iter_nudged=6, max_iter=1, random_state=0), X, y)
    assert budget(fixed) == (6, 1e-3)


@pytest.mark.parametrize("hidden", [(24, 24), (24, 24, 24)], ids=["two", "three"])
def test_the_update_trained_at_the_defaults_follows_the_gradient_at_depth(hidden):
    # What training follows (the estimator's own beta, caps and tolerances), against the
    # implicit-function gradient of the readout's loss at the free fixed point.
    X, y = X_digits[:500], y_digits[:500]
    clf = fit_quietly(EqPropClassifier(hidden_layer_sizes=hidden, max_iter=10,
                                       random_state=0), X, y)
    result = gradient_alignment(clf, X[:100], y[:100], phases="training")
    n_weights = len(hidden) + 1
    assert min(result["cosine"][:n_weights]) >= 0.95, result["cosine"]
    assert result["n_iter"][1] <= training_settings(clf).n_iter_nudged


def test_the_eqprop_estimate_approaches_the_gradient_as_beta_shrinks_at_depth():
    X, y = make_moons(200, noise=0.2, random_state=0)
    clf = fit_quietly(EqPropClassifier(hidden_layer_sizes=(16, 16, 16), max_iter=20,
                                       nudging="positive", random_state=0), X, y)

    def error(beta):
        result = gradient_alignment(clf, X[:100], y[:100], beta=beta)
        flat = [np.concatenate([g.ravel() for g in result[key]])
                for key in ("eqprop_gradient", "true_gradient")]
        return np.linalg.norm(flat[0] - flat[1])

    assert error(0.001) < error(0.01) < error(0.1)


# --------------------------------------------------------------- depth-dependent defaults
@pytest.mark.parametrize("Estimator, alpha_one, alpha_deep", [(EqPropClassifier, 1.0, 0.01),
                                                             (EqPropRegressor, 2.0, 2.0)])
def test_auto_beta_and_alpha_depend_on_depth_and_explicit_values_are_kept(Estimator, alpha_one,
                                                                           alpha_deep):
    X, y = X_digits[:100], y_digits[:100].astype(float)
    for hidden, beta, alpha in [((8,), 0.2, alpha_one), ((8, 8), 0.05, alpha_deep),
                                ((8, 8, 8), 0.0125, alpha_deep)]:
        est = fit_quietly(Estimator(hidden_layer_sizes=hidden, max_iter=1, random_state=0), X, y)
        assert (est.beta_, est.alpha_) == (pytest.approx(beta), alpha)
        assert est.get_params()["beta"] == "auto"
    est = fit_quietly(Estimator(hidden_layer_sizes=(8, 8), beta=0.3, alpha=0.5, max_iter=1,
                                random_state=0), X, y)
    assert (est.beta_, est.alpha_) == (0.3, 0.5)
