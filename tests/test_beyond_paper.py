"""Features beyond the paper: multilabel targets, sparse input, sample weights."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_multilabel_classification
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sk_eqprop import EqPropClassifier, EqPropRegressor

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
    clf = EqPropClassifier(hidden_layer_sizes=(100,), random_state=0)
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
    streamed = EqPropClassifier(hidden_layer_sizes=(8,), random_state=0)
    streamed.partial_fit(X_train, Y_train, classes=np.arange(4))
    assert streamed.predict(X_test).shape == Y_test.shape
    with pytest.raises(ValueError, match="column of labels"):
        streamed.partial_fit(X_train, Y_train[:, 0])


@pytest.mark.parametrize("estimator", [
    EqPropClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0),
    EqPropRegressor(hidden_layer_sizes=(16,), max_iter=3, random_state=0),
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
    plain = EqPropClassifier(**params).fit(X, y)
    weighted = EqPropClassifier(**params).fit(X, y, sample_weight=np.ones(len(y)))
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
    by_weight = EqPropClassifier(**params, batch_size=30).fit(X, y, sample_weight=weights)
    by_repeat = EqPropClassifier(**params, batch_size=len(repeated)).fit(X[repeated], y[repeated])
    # Same directions: the weighted batch mean divides by 30, the repeated one by 40.
    for W_w, W_r, W_0 in zip(by_weight.coefs_, by_repeat.coefs_,
                             EqPropClassifier(**{**params, "max_iter": 1}).fit(
                                 X, y, sample_weight=np.full(30, 1e-12)).coefs_):
        np.testing.assert_allclose((W_w - W_0) * 30, (W_r - W_0) * 40, rtol=1e-6, atol=1e-9)


def test_sample_weight_is_routed_through_a_pipeline(digits):
    import sklearn
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    X, y = digits
    weights = np.linspace(0.5, 1.5, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        clf = EqPropClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0)
        pipe = make_pipeline(MinMaxScaler(), clf.set_fit_request(sample_weight=True))
        pipe.fit(X, y, sample_weight=weights)
    direct = EqPropClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0)
    direct.fit(MinMaxScaler().fit_transform(X), y, sample_weight=weights)
    np.testing.assert_allclose(pipe[-1].coefs_[0], direct.coefs_[0])


def test_negative_or_all_zero_sample_weights_raise(digits):
    X, y = digits
    clf = EqPropClassifier(hidden_layer_sizes=(8,), max_iter=1)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        clf.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="at least one non-zero"):
        clf.fit(X, y, sample_weight=np.zeros(len(y)))
