"""Features beyond the paper: multilabel targets, sparse input, sample weights, L2 penalty,
learning rate schedule."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import paper_network
from sklearn.datasets import load_diabetes, load_digits, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_eqprop import EqPropClassifier, EqPropRegressor
from sk_eqprop._core import SGD, eqprop_direction
from sk_eqprop._core.optimizers import scheduled_rates

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(n_samples=600, n_features=20, n_classes=4,
                                          random_state=0)
    X = X / X.max()
    X_train, X_test, Y_train, Y_test = train_test_split(X, Y, random_state=0)
    clf = EqPropClassifier(**paper_network(hidden_layer_sizes=(100,), random_state=0))
    clf.fit(X_train, Y_train)
    prediction = clf.predict(X_test)
    assert prediction.shape == Y_test.shape and set(np.unique(prediction)) <= {0, 1}
    proba = clf.predict_proba(X_test)
    assert proba.shape == Y_test.shape and np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_array_equal(prediction, (proba > 0.5).astype(int))
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    mlp = MLPClassifier(hidden_layer_sizes=(100,), max_iter=300, random_state=0)
    mlp_score = mlp.fit(X_train, Y_train).score(X_test, Y_test)
    assert clf.score(X_test, Y_test) >= mlp_score - 0.05  # subset accuracy
    # partial_fit with an indicator matrix, classes = label indices
    streamed = EqPropClassifier(**paper_network(hidden_layer_sizes=(8,), random_state=0))
    streamed.partial_fit(X_train, Y_train, classes=np.arange(4))
    assert streamed.predict(X_test).shape == Y_test.shape
    with pytest.raises(ValueError, match="column of labels"):
        streamed.partial_fit(X_train, Y_train[:, 0])


def test_multilabel_output_biases_start_at_label_frequencies():
    X, Y = make_multilabel_classification(n_samples=200, n_features=10, n_classes=5,
                                          random_state=0)
    clf = EqPropClassifier(**paper_network(hidden_layer_sizes=(8,), learning_rate=1e-12, max_iter=1,
                           random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X / X.max(), Y)
    np.testing.assert_allclose(clf.intercepts_[-1], Y.mean(axis=0), atol=1e-9)
    single = EqPropClassifier(**paper_network(hidden_layer_sizes=(8,), learning_rate=1e-12, max_iter=1,
                              random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        single.fit(X / X.max(), Y[:, 0])
    np.testing.assert_allclose(single.intercepts_[-1], 0.0, atol=1e-9)  # the paper's zero


@pytest.mark.parametrize("estimator", [
    EqPropClassifier(**paper_network(hidden_layer_sizes=(16,), max_iter=3, random_state=0)),
    EqPropRegressor(**paper_network(hidden_layer_sizes=(16,), max_iter=3, random_state=0)),
], ids=["classifier", "regressor"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_dense_results(digits, estimator, fmt):
    X, y = digits
    dense = estimator.__class__(**estimator.get_params()).fit(X, y)
    sparse = estimator.__class__(**estimator.get_params()).fit(sp.csr_matrix(X).asformat(fmt), y)
    for W_dense, W_sparse in zip(dense.coefs_, sparse.coefs_):
        np.testing.assert_allclose(W_sparse, W_dense, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        sparse.predict(sp.csr_matrix(X[:50]).asformat(fmt)), dense.predict(X[:50])
    )
    sparse.partial_fit(sp.csr_matrix(X[:40]), y[:40])


def test_unit_sample_weights_change_nothing(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    plain = EqPropClassifier(**paper_network(**params)).fit(X, y)
    weighted = EqPropClassifier(**paper_network(**params)).fit(X, y, sample_weight=np.ones(len(y)))
    for W1, W2 in zip(plain.coefs_ + plain.intercepts_, weighted.coefs_ + weighted.intercepts_):
        np.testing.assert_array_equal(W1, W2)
    assert plain.loss_curve_ == weighted.loss_curve_


def test_weighted_batch_update_equals_repeated_samples(digits):
    """In one full batch, weight 2 is the sample counted twice (the mean over the batch kept)."""
    X, y = digits
    X, y = X[:30], y[:30]
    weights = np.where(np.arange(30) % 3 == 0, 2.0, 1.0)
    repeated = np.repeat(np.arange(30), weights.astype(int))
    params = dict(hidden_layer_sizes=(16,), max_iter=1, shuffle=False, nudging="positive",
                  persistent_particles=False, random_state=0)
    by_weight = EqPropClassifier(**paper_network(**params, batch_size=30)).fit(X, y, sample_weight=weights)
    by_repeat = EqPropClassifier(**paper_network(**params, batch_size=len(repeated))).fit(X[repeated], y[repeated])
    # Same directions: the weighted batch mean divides by 30, the repeated one by 40.
    for W_w, W_r, W_0 in zip(by_weight.coefs_, by_repeat.coefs_,
                             EqPropClassifier(**paper_network(**{**params, "max_iter": 1})).fit(
                                 X, y, sample_weight=np.full(30, 1e-12)).coefs_):
        np.testing.assert_allclose((W_w - W_0) * 30, (W_r - W_0) * 40, rtol=1e-6, atol=1e-9)


def test_sample_weight_is_routed_through_a_pipeline(digits):
    import sklearn
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    X, y = digits
    weights = np.linspace(0.5, 1.5, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        clf = EqPropClassifier(**paper_network(hidden_layer_sizes=(16,), max_iter=2, random_state=0))
        pipe = make_pipeline(MinMaxScaler(), clf.set_fit_request(sample_weight=True))
        pipe.fit(X, y, sample_weight=weights)
    direct = EqPropClassifier(**paper_network(hidden_layer_sizes=(16,), max_iter=2, random_state=0))
    direct.fit(MinMaxScaler().fit_transform(X), y, sample_weight=weights)
    np.testing.assert_allclose(pipe[-1].coefs_[0], direct.coefs_[0])


def test_negative_or_all_zero_sample_weights_raise(digits):
    X, y = digits
    clf = EqPropClassifier(**paper_network(hidden_layer_sizes=(8,), max_iter=1))
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        clf.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="at least one non-zero"):
        clf.fit(X, y, sample_weight=np.zeros(len(y)))


# ---------------------------------------------------------------- alpha: L2 penalty
@pytest.mark.parametrize("Estimator", [EqPropClassifier, EqPropRegressor])
def test_alpha_shrinks_the_weights(digits, Estimator):
    X, y = digits
    params = dict(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    plain = Estimator(**paper_network(**params, alpha=0.0)).fit(X, y)
    penalised = Estimator(**paper_network(**params, alpha=1.0)).fit(X, y)
    for W_plain, W_penalised in zip(plain.coefs_, penalised.coefs_):
        assert np.linalg.norm(W_penalised) < 0.95 * np.linalg.norm(W_plain)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_weight_decay_composes_with_the_contrastive_step(weighted, sparse):
    """W <- W (1 - rate_k alpha / n) + (the contrastive step); biases are not decayed."""
    rng = np.random.RandomState(0)
    n, rates, decay, beta = 6, (0.3, 0.2), 2.0, 0.5  # a 5-4-3 network, a minibatch of 6
    x = rng.uniform(size=(n, 5))
    x = sp.csr_matrix(x) if sparse else x
    free, nudged = rng.uniform(size=(2, n, 4 + 3))
    weights = [rng.normal(size=(5, 4)), rng.normal(size=(4, 3))]
    biases = [rng.normal(size=4), rng.normal(size=3)]
    sample_weight = rng.uniform(0.5, 2.0, size=n) if weighted else None

    def update(weight_decay):
        W, b = [W.copy() for W in weights], [b.copy() for b in biases]
        directions = [np.empty_like(p) for p in W + b]
        eqprop_direction(x, free, nudged, beta, W, directions, sample_weight=sample_weight)
        SGD(W, b, rates, alpha=weight_decay).update_params(W + b, directions, n)
        return W, b

    W_decayed, b_decayed = update(decay)
    W_plain, b_plain = update(0.0)
    for W0, W_d, W_p, rate in zip(weights, W_decayed, W_plain, rates):
        shrink = 1.0 - rate * decay / n
        np.testing.assert_allclose(W_d, W0 * shrink + (W_p - W0), rtol=1e-12, atol=1e-14)
        assert not np.allclose(W_d, W_p)  # the decay did act
    for b_d, b_p in zip(b_decayed, b_plain):
        np.testing.assert_array_equal(b_d, b_p)


def test_alpha_too_large_for_the_smallest_minibatch_raises(digits):
    X, y = digits
    # learning_rate 0.05, alpha 20: the factor 1 - 0.05 * 20 / n_batch is 0 for a last
    # minibatch of 1 sample (41 samples) and 0.95 for minibatches of 20 (40 samples).
    reg = EqPropRegressor(**paper_network(hidden_layer_sizes=(8,), max_iter=1, learning_rate=0.05, alpha=20.0,
                          batch_size=20, random_state=0))
    with pytest.raises(ValueError, match="alpha=20.0 is too large for learning_rate=0.05"):
        reg.fit(X[:41], y[:41])
    assert not hasattr(reg, "coefs_")
    with pytest.raises(ValueError, match="minibatch of 1 samples"):
        reg.partial_fit(X[:41], y[:41])
    reg.fit(X[:40], y[:40])
    assert np.isfinite(reg.coefs_[0]).all()


@pytest.mark.parametrize("Estimator", [EqPropClassifier, EqPropRegressor])
def test_alpha_zero_is_the_previous_behaviour(digits, monkeypatch, Estimator):
    X, y = digits
    params = dict(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    with_zero = Estimator(**paper_network(**params, alpha=0.0)).fit(X, y)
    if Estimator is EqPropClassifier:  # alpha defaults to 0: nothing changes
        default = Estimator(**paper_network(**params)).fit(X, y)
        for A, B in zip(with_zero.coefs_ + with_zero.intercepts_,
                        default.coefs_ + default.intercepts_):
            np.testing.assert_array_equal(A, B)

    original = SGD.update_params

    def update_without_decay(self, *args):  # the update without a penalty
        assert self.alpha == 0.0
        return original(self, *args)

    monkeypatch.setattr(SGD, "update_params", update_without_decay)
    old = Estimator(**paper_network(**params, alpha=0.0)).fit(X, y)
    for A, B in zip(with_zero.coefs_ + with_zero.intercepts_, old.coefs_ + old.intercepts_):
        np.testing.assert_array_equal(A, B)
    assert with_zero.loss_curve_ == old.loss_curve_


# ------------------------------------------------------------ learning_rate_schedule
def _record_rates(monkeypatch):
    """Record the ``rates`` of every SGD step."""
    calls = []
    original = SGD.update_params

    def recording_update(self, *args):
        calls.append(tuple(self.rates))
        return original(self, *args)

    monkeypatch.setattr(SGD, "update_params", recording_update)
    return calls


def _cosine(t, max_iter):
    return 0.5 * (1.0 + np.cos(np.pi * t / max_iter))


def test_cosine_schedule_anneals_the_rates_per_epoch(digits, monkeypatch):
    X, y = digits
    X, y = X[:100], y[:100]  # 5 minibatches of 20 per epoch
    calls = _record_rates(monkeypatch)
    clf = EqPropClassifier(**paper_network(hidden_layer_sizes=(16,), learning_rate=(0.1, 0.05),
                           learning_rate_schedule="cosine", max_iter=3, random_state=0))
    clf.fit(X, y)
    assert clf.n_iter_ == 3 and len(calls) == 15
    for epoch in range(3):
        expected = tuple(rate * _cosine(epoch, 3) for rate in (0.1, 0.05))
        for rates in calls[5 * epoch:5 * (epoch + 1)]:
            np.testing.assert_allclose(rates, expected, rtol=1e-12)
        np.testing.assert_allclose(
            scheduled_rates(clf.learning_rates_, "cosine", epoch, 3), expected, rtol=1e-12
        )
    np.testing.assert_allclose(calls[5][0] / calls[0][0], 0.75)  # (1 + cos(pi / 3)) / 2
    np.testing.assert_allclose(calls[10][0] / calls[0][0], 0.25)  # (1 + cos(2 pi / 3)) / 2
    assert clf.learning_rates_ == (0.1, 0.05)  # the base rates stay as they were


def test_constant_schedule_is_the_default(digits, monkeypatch):
    X, y = digits
    params = dict(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    default = EqPropClassifier(**paper_network(**params)).fit(X, y)
    constant = EqPropClassifier(**paper_network(**params, learning_rate_schedule="constant")).fit(X, y)
    cosine = EqPropClassifier(**paper_network(**params, learning_rate_schedule="cosine")).fit(X, y)
    for W_default, W_constant, W_cosine in zip(default.coefs_, constant.coefs_, cosine.coefs_):
        np.testing.assert_array_equal(W_default, W_constant)
        assert not np.allclose(W_default, W_cosine)
    calls = _record_rates(monkeypatch)
    EqPropClassifier(**paper_network(**params, learning_rate_schedule="constant")).fit(X, y)
    assert set(calls) == {default.learning_rates_}


def test_cosine_schedule_partial_fit_continues_from_n_iter(digits, monkeypatch):
    X, y = digits
    X, y = X[:40], y[:40]  # 2 minibatches per call
    calls = _record_rates(monkeypatch)
    clf = EqPropClassifier(**paper_network(hidden_layer_sizes=(16,), learning_rate=0.1,
                           learning_rate_schedule="cosine", max_iter=3, random_state=0))
    for n_iter in range(5):
        assert getattr(clf, "n_iter_", 0) == n_iter
        clf.partial_fit(X, y, classes=np.arange(10))
    # Epoch positions 0, 1, 2, then clipped to max_iter - 1 = 2.
    expected = [0.1 * _cosine(min(t, 2), 3) for t in range(5)]
    np.testing.assert_allclose([rates[0] for rates in calls[::2]], expected, rtol=1e-12)
    np.testing.assert_array_equal(calls[::2], calls[1::2])  # constant within an epoch
    assert expected[-1] > 0


def test_regressor_defaults_fit_diabetes():
    """R^2 >= 0.40 over 5 shuffled folds at the defaults (RidgeCV: 0.49, MLPRegressor: 0.46)."""
    X, y = load_diabetes(return_X_y=True)
    model = make_pipeline(StandardScaler(), EqPropRegressor(random_state=0))
    scores = cross_val_score(model, X, y, cv=KFold(5, shuffle=True, random_state=0))
    assert scores.mean() >= 0.40


def test_best_loss_is_none_under_early_stopping_as_mlp(digits):
    X, y = digits[0][:300], digits[1][:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = EqPropClassifier(max_iter=3, early_stopping=True, random_state=0).fit(X, y)
        plain = EqPropClassifier(max_iter=3, random_state=0).fit(X, y)
    assert clf.best_loss_ is None and clf.best_validation_score_ is not None
    assert plain.best_loss_ == min(plain.loss_curve_)


@pytest.mark.parametrize("Estimator", [EqPropClassifier, EqPropRegressor])
def test_early_stopping_scores_the_validation_part_with_its_sample_weights(
    digits, monkeypatch, Estimator
):
    X, y = digits[0][:300], digits[1][:300]
    weights = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    seen = []
    original = Estimator._validation_score

    def spy(self, params, X_val, y_val, sample_weight=None):
        seen.append((len(y_val), sample_weight))
        return original(self, params, X_val, y_val, sample_weight)

    monkeypatch.setattr(Estimator, "_validation_score", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        Estimator(max_iter=2, early_stopping=True, random_state=0).fit(X, y, sample_weight=weights)
    n_val, val_weights = seen[-1]
    assert val_weights is not None and len(val_weights) == n_val
    assert np.isin(val_weights, weights).all()
