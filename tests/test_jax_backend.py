"""The JAX backend computes the NumPy backend's network, with the same draws.

In float64 (JAX's x64 mode, switched on for these tests and restored after them)
the weights after two epochs agree with the NumPy backend's to 1e-8 and the
predictions are identical, for every dynamics x nudging x tolerance x particles
combination and for every other feature of the fit loop. The NumPy backend is the
reference; these tests hold the compiled one to it.
"""

import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_multilabel_classification, make_regression

from sk_eqprop import EqPropClassifier, EqPropRegressor

if os.environ.get("SK_EQPROP_REQUIRE_JAX") == "1":  # CI: these tests must run
    import jax
else:
    jax = pytest.importorskip("jax", reason="JAX is not installed (pip install 'sk_eqprop[jax]')")

from sk_eqprop._jax import training  # noqa: E402

X_digits, y_digits = load_digits(return_X_y=True)
X, y = X_digits[:240], y_digits[:240]
TOL = 1e-8


@pytest.fixture
def x64():
    """JAX's float64 mode for one test (as the docs tell users to switch it on)."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


def small(**params):
    return dict(dict(hidden_layer_sizes=(16,), max_iter=2, batch_size=32, n_iter_free=15,
                     random_state=0), **params)


def fit_both(Estimator, X, y, *, sample_weight=None, **params):
    """The same estimator fitted on each backend (warnings of either silenced)."""
    fitted = []
    for backend in ("numpy", "jax"):
        est = Estimator(backend=backend, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y, sample_weight=sample_weight)
        fitted.append(est)
    return fitted


def assert_same_model(reference, other, tol=TOL):
    assert len(reference.coefs_) == len(other.coefs_)
    for name in ("coefs_", "intercepts_"):
        for a, b in zip(getattr(reference, name), getattr(other, name)):
            assert type(b) is np.ndarray and b.dtype == a.dtype
            np.testing.assert_allclose(b, a, rtol=0, atol=tol, err_msg=name)
    np.testing.assert_allclose(other.loss_curve_, reference.loss_curve_, rtol=1e-9)
    assert other.n_iter_ == reference.n_iter_ and other.t_ == reference.t_


# ===================================================== equality with the NumPy backend
@pytest.mark.parametrize("particles", [False, True], ids=["zero-start", "particles"])
@pytest.mark.parametrize("relax_tol", [None, 1e-3], ids=["fixed-count", "tol"])
@pytest.mark.parametrize("nudging", ["random_sign", "positive", "symmetric"])
@pytest.mark.parametrize("relaxation", ["gradient", "layerwise"])
def test_every_dynamics_nudging_tolerance_and_particles_match_numpy(
    x64, relaxation, nudging, relax_tol, particles
):
    params = small(relaxation=relaxation, nudging=nudging, relax_tol=relax_tol,
                   persistent_particles=particles)
    reference, compiled = fit_both(EqPropClassifier, X, y, **params)
    assert_same_model(reference, compiled)
    np.testing.assert_array_equal(compiled.predict(X), reference.predict(X))
    np.testing.assert_array_equal(compiled.train_error_curve_, reference.train_error_curve_)


@pytest.mark.parametrize("beta", [0.5, 1.0], ids=["convex", "concave-minus-beta-phase"])
@pytest.mark.parametrize("relaxation", ["gradient", "layerwise"])
def test_the_papers_network_matches_numpy(x64, relaxation, beta):
    # Output units in the energy, the fused plain step, the random sign of beta; at
    # beta = 1 the -beta phase makes the layerwise output snap to 0 or 1.
    params = small(output="energy", solver="sgd", learning_rate="auto", input_scaling=None,
                   nudging="random_sign", beta=beta, relaxation=relaxation,
                   persistent_particles=True, batch_size=20)
    reference, compiled = fit_both(EqPropClassifier, X / 16, y, **params)
    assert_same_model(reference, compiled)
    np.testing.assert_array_equal(compiled.predict(X / 16), reference.predict(X / 16))


def test_two_hidden_layers_sgd_penalty_and_cosine_schedule_match_numpy(x64):
    params = small(hidden_layer_sizes=(16, 12, 8), solver="sgd", alpha=0.5,
                   learning_rate=(0.05, 0.03, 0.02, 0.01), learning_rate_schedule="cosine",
                   max_iter=3, relaxation="gradient", n_iter_nudged=3)
    reference, compiled = fit_both(EqPropClassifier, X, y, **params)
    assert_same_model(reference, compiled)


def test_sample_weight_matches_numpy(x64):
    weight = np.random.RandomState(0).uniform(0, 3, size=X.shape[0])
    weight[:20] = 0
    reference, compiled = fit_both(EqPropClassifier, X, y, sample_weight=weight, **small())
    assert_same_model(reference, compiled)


def test_multilabel_targets_match_numpy(x64):
    Xm, Ym = make_multilabel_classification(n_samples=150, n_features=12, n_classes=4,
                                            random_state=0)
    reference, compiled = fit_both(EqPropClassifier, Xm, Ym, **small())
    assert_same_model(reference, compiled)
    np.testing.assert_array_equal(compiled.predict(Xm), reference.predict(Xm))


@pytest.mark.parametrize("output", ["readout", "energy"])
def test_regression_matches_numpy(x64, output):
    Xr, yr = make_regression(n_samples=150, n_features=8, n_targets=2, random_state=0)
    reference, compiled = fit_both(EqPropRegressor, Xr, yr, **small(output=output))
    assert_same_model(reference, compiled)
    np.testing.assert_allclose(compiled.predict(Xr), reference.predict(Xr), atol=1e-8)


def test_sparse_input_matches_numpy(x64):
    reference, compiled = fit_both(EqPropClassifier, sp.csr_matrix(X), y,
                                   **small(persistent_particles=True))
    assert_same_model(reference, compiled)


def test_chunks_of_a_few_minibatches_and_padding_match_numpy(x64, monkeypatch):
    # 240 samples in minibatches of 32: 8 per epoch, the last of 16; a chunk of 3
    # minibatches leaves a chunk with padding rows and an empty padding minibatch.
    monkeypatch.setattr(training, "CHUNK_WORK", 3 * 32 * (15 + 2 * 4))
    reference, compiled = fit_both(EqPropClassifier, X, y, **small(relax_tol=1e-3))
    assert_same_model(reference, compiled)
    sparse_ref, sparse_jax = fit_both(EqPropClassifier, sp.csr_matrix(X), y, **small())
    assert_same_model(sparse_ref, sparse_jax)


def test_partial_fit_and_warm_start_match_numpy(x64):
    models = []
    for backend in ("numpy", "jax"):
        est = EqPropClassifier(backend=backend, **small(max_iter=1))
        est.partial_fit(X[:120], y[:120], classes=np.unique(y))
        est.partial_fit(X[120:], y[120:])
        est.set_params(warm_start=True, max_iter=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        models.append(est)
    assert_same_model(*models)
    assert models[1]._adam_state["t"] == models[0]._adam_state["t"]
    for a, b in zip(models[0]._adam_state["second_moments"], models[1]._adam_state["second_moments"]):
        np.testing.assert_allclose(b, a, atol=TOL)


def test_early_stopping_matches_numpy(x64):
    params = small(early_stopping=True, max_iter=30, n_iter_no_change=2, validation_fraction=0.2)
    reference, compiled = fit_both(EqPropClassifier, X, y, **params)
    assert reference.n_iter_ < 30  # it stopped early
    assert_same_model(reference, compiled)
    assert compiled.validation_scores_ == reference.validation_scores_


def test_verbose_lines_report_the_same_relaxation(x64, capsys):
    lines = []
    for backend in ("numpy", "jax"):
        EqPropClassifier(backend=backend, verbose=2, **small(max_iter=1)).fit(X, y)
        out = capsys.readouterr().out.splitlines()
        lines.append(out)
    (numpy_epoch, numpy_relax), (jax_epoch, jax_relax) = lines
    assert numpy_relax == jax_relax and "relaxation (layerwise)" in jax_relax
    assert numpy_epoch.split(", ")[:2] == jax_epoch.split(", ")[:2]  # loss, training error


# ======================================================= float32 and the compile cache
def test_without_x64_the_device_computes_in_float32_and_the_model_stays_float64():
    assert not jax.config.jax_enable_x64
    reference, compiled = fit_both(EqPropClassifier, X, y, **small(max_iter=3))
    for W in compiled.coefs_:
        assert W.dtype == np.float64
    # float32 rounding only: the same model to float32's precision.
    for a, b in zip(reference.coefs_, compiled.coefs_):
        np.testing.assert_allclose(b, a, atol=1e-3)
    assert np.mean(compiled.predict(X) == reference.predict(X)) >= 0.97


def test_float32_input_trains_in_float32(x64):
    X32 = X.astype(np.float32)
    reference, compiled = fit_both(EqPropClassifier, X32, y, **small())
    assert compiled.coefs_[0].dtype == np.float32
    for a, b in zip(reference.coefs_, compiled.coefs_):
        np.testing.assert_allclose(b, a, atol=1e-4)


def test_a_grid_over_beta_and_learning_rates_compiles_once():
    params = small(max_iter=1)
    EqPropClassifier(backend="jax", **params).fit(X, y)
    compiled = training.train_chunk._cache_size()
    for beta, rate in [(0.1, 0.02), (0.3, (0.005, 0.01)), (0.25, 0.001)]:
        EqPropClassifier(backend="jax", beta=beta, learning_rate=rate, **params).fit(X, y)
    assert training.train_chunk._cache_size() == compiled


def test_cross_validation_folds_and_partial_fit_batches_compile_once():
    # Review defect 8: the data went to the compiled function whole, so every fold size
    # compiled anew. Folds of 3-fold CV on 240 and 250 rows (160, 166, 167 rows; minibatch
    # 32) and partial_fit calls on 150 and 170 rows share one function.
    from sklearn.model_selection import cross_val_score

    params = small(max_iter=1, batch_size=32)
    EqPropClassifier(backend="jax", **params).fit(X_digits[:160], y_digits[:160])
    compiled = training.train_chunk._cache_size()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cross_val_score(EqPropClassifier(backend="jax", **params), X_digits[:240], y_digits[:240], cv=3)
        cross_val_score(EqPropClassifier(backend="jax", **params), X_digits[:250], y_digits[:250], cv=3)
    assert training.train_chunk._cache_size() == compiled
    incremental = EqPropClassifier(backend="jax", **params)
    classes = np.unique(y_digits)
    incremental.partial_fit(X_digits[:150], y_digits[:150], classes=classes)
    incremental.partial_fit(X_digits[:170], y_digits[:170])
    assert training.train_chunk._cache_size() == compiled


# ===================================================== safety: errors, interruption
def test_missing_jax_names_the_extra_and_leaves_the_estimator_unchanged(monkeypatch):
    for name in [m for m in sys.modules if m == "jax" or m.startswith(("jax.", "sk_eqprop._jax"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "jax", None)  # import jax fails
    est = EqPropClassifier(backend="jax", **small())
    with pytest.raises(ImportError, match=r'pip install "sk_eqprop\[jax\]"'):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


def test_a_jax_fitted_model_pickles_and_predicts_without_jax(tmp_path):
    est = EqPropClassifier(backend="jax", **small()).fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(est))
    np.save(tmp_path / "X.npy", X)
    code = (
        "import sys, pickle, numpy as np\n"
        "sys.modules['jax'] = None\n"  # any import of JAX would fail
        f"est = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        f"print(' '.join(map(str, est.predict(np.load({str(tmp_path / 'X.npy')!r})))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    np.testing.assert_array_equal(np.array(out.stdout.split(), dtype=int), est.predict(X))


def test_keyboard_interrupt_keeps_the_chunks_trained_so_far(monkeypatch):
    monkeypatch.setattr(training, "CHUNK_WORK", 2 * 32 * (15 + 2 * 4))  # 4 chunks an epoch
    original, calls = training.train_chunk, []

    def interrupted(*args):
        calls.append(None)
        if len(calls) == 6:  # the 2nd chunk of the 2nd epoch
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(training, "train_chunk", interrupted)
    est = EqPropClassifier(backend="jax", **small(max_iter=3))
    with pytest.warns(UserWarning, match="interrupted"):
        est.fit(X, y)
    assert est.n_iter_ == 1 and len(calls) == 6
    assert all(np.isfinite(W).all() for W in est.coefs_)
    assert set(est.predict(X)) <= set(est.classes_)
    monkeypatch.setattr(training, "train_chunk", original)
    est.partial_fit(X, y)  # trains on
    assert est.n_iter_ == 2


def test_divergence_is_reported_and_the_fitted_model_kept():
    est = EqPropClassifier(backend="jax", **small()).fit(X, y)
    before = [W.copy() for W in est.coefs_]
    est.set_params(warm_start=True, learning_rate=1e300, solver="sgd", alpha=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="diverged"):
            est.fit(X, y)
    for a, b in zip(before, est.coefs_):
        np.testing.assert_array_equal(a, b)


def test_input_too_large_for_the_network_is_an_error():
    X_huge = X.copy()
    X_huge[5, 3] = 1e300
    est = EqPropClassifier(backend="jax", input_scaling=None, **small())
    with pytest.raises(ValueError, match="too large"):
        est.fit(X_huge, y)
    assert not hasattr(est, "coefs_")


# ============================================= depth: interacting layers and a readout
@pytest.mark.parametrize("nudging", ["symmetric", "random_sign"])
@pytest.mark.parametrize("relaxation", ["layerwise", "gradient"])
@pytest.mark.parametrize("hidden", [(16, 12), (16, 12, 8)], ids=["two-hidden", "three-hidden"])
def test_deep_readout_networks_with_tolerance_and_bound_match_numpy(
    x64, hidden, relaxation, nudging
):
    # The defaults at depth: readout, relax_tol, n_iter_nudged="auto" (a tolerance
    # relative to beta), coupling_bound, beta="auto", alpha="auto"; the layerwise free
    # phase takes several sweeps here, and the bound rescales the couplings every step.
    params = small(hidden_layer_sizes=hidden, relaxation=relaxation, nudging=nudging,
                   n_iter_free=40)
    reference, other = fit_both(EqPropClassifier, X, y, **params)
    assert_same_model(reference, other)
    assert reference.beta_ == 0.2 / 4 ** (len(hidden) - 1)
    for W in reference.coefs_[1:-1]:
        assert np.linalg.norm(W, 2) <= 0.8 * (1 + 2e-2)
    np.testing.assert_array_equal(other.predict(X), reference.predict(X))


def test_damped_readout_step_matches_numpy(x64):
    # beta large enough that the readout's layerwise step is damped (readout_damping > 0).
    params = small(hidden_layer_sizes=(16, 12), beta=2.0, learning_rate=0.05)
    reference, other = fit_both(EqPropClassifier, X, y, **params)
    from sk_eqprop._core.relaxation import readout_damping

    assert readout_damping(2.0, reference.coefs_[-1], "softmax", 10) > 0
    assert_same_model(reference, other)
