"""Reliability of EqPropClassifier: bad input, failed and interrupted training,
determinism, thread safety, the size of a fitted model, and fuzzed data.

Every test runs on tiny data (30 digits, 8 hidden units, 2 epochs) so the file
takes seconds. A failed call must raise a ``ValueError`` / ``TypeError`` whose
message names the problem, and must leave the estimator as it was.
"""

import copy
import math
import pickle
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError

from sk_eqprop import EqPropClassifier
from sk_eqprop._core.training import NumpyEpochs

# max_iter=2 never converges: the ConvergenceWarning is expected everywhere here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

_DIGITS_X, _DIGITS_Y = load_digits(return_X_y=True)
_DIGITS_X = _DIGITS_X / 16.0  # pixels scaled to [0, 1]
X = _DIGITS_X[:30]  # three samples of each of the ten digits
Y = _DIGITS_Y[:30]
CLASSES = np.arange(10)
SMALL = dict(hidden_layer_sizes=(8,), max_iter=2, random_state=0)


def small(**params):
    return EqPropClassifier(**{**SMALL, **params})


def with_value(A, value, at=(1, 2)):
    """A copy of ``A`` with one entry set to ``value`` (upcast as needed)."""
    A = A.astype(np.result_type(A, value), copy=True)
    A[at] = value
    return A


def param_error(name):
    """The start of scikit-learn's message for a parameter outside its constraints."""
    return rf"'{name}' parameter of EqPropClassifier must be"


@pytest.fixture(scope="module")
def fitted_model():
    return small().fit(X, Y)


@pytest.fixture
def fitted(fitted_model):
    """A private copy of the fitted model, free to be modified by one test."""
    return pickle.loads(pickle.dumps(fitted_model))


# ----------------------------------------------------------------- state comparison
def snapshot(estimator):
    """A deep copy of every attribute of ``estimator``."""
    return copy.deepcopy(vars(estimator))


def assert_identical(a, b, where="estimator"):
    """``a`` and ``b`` are equal bit for bit (arrays: dtype, shape and bytes)."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), where
        assert (a.dtype, a.shape) == (b.dtype, b.shape), where
        if a.dtype == object:
            assert a.tolist() == b.tolist(), where
        else:
            assert a.tobytes() == b.tobytes(), f"{where} changed"
    elif isinstance(a, np.random.RandomState):
        assert_identical(a.get_state(), b.get_state(), f"{where}.get_state()")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            assert_identical(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b)):
            assert_identical(u, v, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def fitted_state(estimator):
    """Every attribute that is not a constructor parameter: what fitting sets."""
    params = estimator.get_params(deep=False)
    return {k: v for k, v in snapshot(estimator).items() if k not in params}


def assert_unfitted(estimator):
    left = [k for k in vars(estimator) if k.endswith("_") and not k.startswith("__")]
    assert left == [], f"a failed first call left fitted attributes {left}"
    with pytest.raises(NotFittedError):
        estimator.predict(X)


# ================================================================= 1. bad input
def fit(**params):
    return lambda X_, y_: small(**params).fit(X_, y_)


def partial_fit(**params):
    return lambda X_, y_: small(**params).partial_fit(X_, y_, classes=CLASSES)


# (id, call(fitted) -> None, exception type, message regex)
BAD_INPUT = [
    # ---- X at fit
    ("fit-X-nan", lambda m: small().fit(with_value(X, np.nan), Y), ValueError, "X contains NaN"),
    ("fit-X-inf", lambda m: small().fit(with_value(X, np.inf), Y), ValueError, "X contains infinity"),
    ("fit-X-minus-inf", lambda m: small().fit(with_value(X, -np.inf), Y), ValueError,
     "X contains infinity"),
    ("fit-X-complex", lambda m: small().fit(X + 1j, Y), ValueError, "Complex data not supported"),
    ("fit-X-strings", lambda m: small().fit(np.full(X.shape, "dark"), Y), ValueError,
     "could not convert string to float"),
    ("fit-X-3d", lambda m: small().fit(X.reshape(30, 8, 8), Y), ValueError, "dim 3"),
    ("fit-X-1d", lambda m: small().fit(X[0], Y[:1]), ValueError, "Expected 2D array"),
    ("fit-X-sparse-coo-nan", lambda m: small().fit(sp.coo_matrix(with_value(X, np.nan)), Y),
     ValueError, "NaN"),
    ("fit-zero-samples", lambda m: small().fit(X[:0], Y[:0]), ValueError, "0 sample"),
    ("fit-zero-features", lambda m: small().fit(X[:, :0], Y), ValueError, "0 feature"),
    ("fit-X-y-length-mismatch", lambda m: small().fit(X, Y[:20]), ValueError,
     "inconsistent numbers of samples"),
    # ---- y at fit
    ("fit-y-nan", lambda m: small().fit(X, with_value(Y.astype(float), np.nan, 3)), ValueError,
     "y contains NaN"),
    ("fit-y-none", lambda m: small().fit(X, None), ValueError, "requires y to be passed"),
    ("fit-y-multiclass-multioutput", lambda m: small().fit(X, np.c_[Y, Y]), ValueError,
     "does not support multiclass-multioutput"),
    ("fit-single-class", lambda m: small().fit(X, np.zeros(30)), ValueError, "only one class"),
    ("fit-continuous-y", lambda m: small().fit(X, np.linspace(0, 1, 30)), ValueError,
     "Unknown label type: continuous"),
    ("fit-y-mixed-types", lambda m: small().fit(X, np.array([1, "a"] * 15, dtype=object)),
     ValueError, "Unknown label type"),
    # ---- prediction
    ("predict-X-nan", lambda m: m.predict(with_value(X, np.nan)), ValueError, "X contains NaN"),
    ("predict_proba-X-nan", lambda m: m.predict_proba(with_value(X, np.nan)), ValueError,
     "X contains NaN"),
    ("predict-X-inf", lambda m: m.predict(with_value(X, np.inf)), ValueError,
     "X contains infinity"),
    ("predict_proba-X-inf", lambda m: m.predict_proba(with_value(X, -np.inf)), ValueError,
     "X contains infinity"),
    ("predict-n-features", lambda m: m.predict(X[:, :10]), ValueError,
     "X has 10 features, but EqPropClassifier is expecting 64"),
    ("predict_proba-n-features", lambda m: m.predict_proba(X[:, :10]), ValueError,
     "X has 10 features, but EqPropClassifier is expecting 64"),
    ("score-n-features", lambda m: m.score(X[:, :10], Y), ValueError,
     "X has 10 features, but EqPropClassifier is expecting 64"),
    ("predict-zero-samples", lambda m: m.predict(X[:0]), ValueError, "0 sample"),
    ("predict-X-3d", lambda m: m.predict(X.reshape(30, 8, 8)), ValueError, "dim 3"),
    ("predict-before-fit", lambda m: small().predict(X), NotFittedError, "not fitted yet"),
    ("predict_proba-before-fit", lambda m: small().predict_proba(X), NotFittedError,
     "not fitted yet"),
    ("score-before-fit", lambda m: small().score(X, Y), NotFittedError, "not fitted yet"),
    # ---- partial_fit
    ("partial_fit-n-features", lambda m: m.partial_fit(X[:, :10], Y), ValueError,
     "X has 10 features, but EqPropClassifier is expecting 64"),
    ("partial_fit-X-nan", lambda m: m.partial_fit(with_value(X, np.nan), Y), ValueError,
     "X contains NaN"),
    ("partial_fit-unseen-class", lambda m: m.partial_fit(X, Y + 100), ValueError,
     r"y contains classes \[100.*not in `classes`"),
    ("partial_fit-first-call-unseen-class",
     lambda m: small().partial_fit(X, Y, classes=np.arange(5)), ValueError,
     r"y contains classes \[5, 6, 7, 8, 9\] that are not in `classes`"),
    ("partial_fit-first-call-without-classes", lambda m: small().partial_fit(X, Y), ValueError,
     "classes must be passed on the first call to partial_fit"),
    ("partial_fit-one-class", lambda m: small().partial_fit(X, Y, classes=[0]), ValueError,
     "at least two classes in `classes`"),
    ("partial_fit-no-class", lambda m: small().partial_fit(X, Y, classes=[]), ValueError,
     "at least two classes in `classes`"),
    ("partial_fit-changed-classes", lambda m: m.partial_fit(X, Y, classes=np.arange(11)),
     ValueError, "not the same as on last call to partial_fit"),
    ("partial_fit-early-stopping",
     lambda m: small(early_stopping=True).partial_fit(X, Y, classes=CLASSES), ValueError,
     "partial_fit does not support early_stopping"),
    # ---- warm start
    ("warm-start-new-class", lambda m: m.set_params(warm_start=True).fit(X, Y + 100), ValueError,
     "warm_start can only be used where `y` has the same classes"),
    ("warm-start-n-features", lambda m: m.set_params(warm_start=True).fit(X[:, :10], Y),
     ValueError, "X has 10 features, but EqPropClassifier is expecting 64"),
    ("warm-start-hidden-layers-changed",
     lambda m: m.set_params(warm_start=True, hidden_layer_sizes=(9,)).fit(X, Y), ValueError,
     r"layer sizes changed from \[64, 8, 10\] to \[64, 9, 10\]"),
    # ---- early stopping without enough data for a stratified validation set
    ("early-stopping-validation-set-smaller-than-n-classes",
     lambda m: small(early_stopping=True).fit(X[:10], Y[:10] % 2), ValueError, "validation"),
    ("early-stopping-class-with-one-sample",
     lambda m: small(early_stopping=True).fit(X, np.r_[np.zeros(29), 1]), ValueError,
     "validation"),
    # ---- diverging training
    ("fit-diverging-learning-rate", lambda m: small(learning_rate=1e300).fit(X, Y), ValueError,
     "diverged.*Lower learning_rate"),
    ("fit-exploding-init-gain", lambda m: small(init_gain=1e300).fit(X, Y), ValueError,
     "diverged"),
]

# Hyperparameters out of range, each tried through fit and through a first partial_fit.
BAD_HYPERPARAMETERS = [
    ("beta-zero", dict(beta=0.0), param_error("beta")),
    ("beta-negative", dict(beta=-1.0), param_error("beta")),
    ("beta-nan", dict(beta=np.nan), param_error("beta")),
    ("beta-inf", dict(beta=np.inf), param_error("beta")),
    ("epsilon-zero", dict(epsilon=0.0), param_error("epsilon")),
    ("epsilon-above-one", dict(epsilon=1.5), param_error("epsilon")),
    ("epsilon-nan", dict(epsilon=np.nan), param_error("epsilon")),
    ("n_iter_free-zero", dict(n_iter_free=0), param_error("n_iter_free")),
    ("n_iter_nudged-zero", dict(n_iter_nudged=0), param_error("n_iter_nudged")),
    ("batch_size-zero", dict(batch_size=0), param_error("batch_size")),
    ("batch_size-float", dict(batch_size=1.5), param_error("batch_size")),
    ("max_iter-zero", dict(max_iter=0), param_error("max_iter")),
    ("max_iter-float", dict(max_iter=2.0), param_error("max_iter")),
    ("hidden_layer_sizes-empty", dict(hidden_layer_sizes=()), "hidden_layer_sizes is empty"),
    ("hidden_layer_sizes-zero-layer", dict(hidden_layer_sizes=(10, 0)),
     "hidden_layer_sizes must be positive integers"),
    ("hidden_layer_sizes-negative", dict(hidden_layer_sizes=(-3,)),
     "hidden_layer_sizes must be positive integers"),
    ("hidden_layer_sizes-fractional", dict(hidden_layer_sizes=(2.5,)),
     "hidden_layer_sizes must be positive integers"),
    ("hidden_layer_sizes-int-zero", dict(hidden_layer_sizes=0), param_error("hidden_layer_sizes")),
    ("hidden_layer_sizes-string", dict(hidden_layer_sizes="8"), param_error("hidden_layer_sizes")),
    ("learning_rate-zero", dict(learning_rate=0.0), param_error("learning_rate")),
    ("learning_rate-negative", dict(learning_rate=-0.1), param_error("learning_rate")),
    ("learning_rate-nan", dict(learning_rate=np.nan), param_error("learning_rate")),
    ("learning_rate-inf", dict(learning_rate=np.inf), param_error("learning_rate")),
    ("learning_rate-unknown-string", dict(learning_rate="fast"), param_error("learning_rate")),
    ("learning_rate-too-short", dict(learning_rate=(0.1,)),
     "learning_rate has 1 entries but the network has 2 weight layers"),
    ("learning_rate-too-long", dict(learning_rate=(0.1, 0.05, 0.01)),
     "learning_rate has 3 entries but the network has 2 weight layers"),
    ("learning_rate-empty-sequence", dict(learning_rate=[]),
     "learning_rate has 0 entries but the network has 2 weight layers"),
    ("learning_rate-negative-entry", dict(learning_rate=(0.1, -0.05)),
     "Every learning rate must be a positive finite number"),
    ("learning_rate-zero-entry", dict(learning_rate=(0.1, 0.0)),
     "Every learning rate must be a positive finite number"),
    ("learning_rate-nan-entry", dict(learning_rate=[0.1, np.nan]),
     "Every learning rate must be a positive finite number"),
    ("learning_rate-inf-entry", dict(learning_rate=[0.1, np.inf]),
     "Every learning rate must be a positive finite number"),
    ("learning_rate-string-entry", dict(learning_rate=("fast", 0.1)),
     "Every learning rate must be a positive finite number"),
    ("nudging-unknown", dict(nudging="sideways"), param_error("nudging")),
    ("relaxation-unknown", dict(relaxation="newton"), param_error("relaxation")),
    ("relax_tol-negative", dict(relax_tol=-1.0), param_error("relax_tol")),
    ("relax_tol-nan", dict(relax_tol=np.nan), param_error("relax_tol")),
    ("init_gain-zero", dict(init_gain=0.0), param_error("init_gain")),
    ("init_gain-negative", dict(init_gain=-1.0), param_error("init_gain")),
    ("validation_fraction-zero", dict(early_stopping=True, validation_fraction=0.0),
     param_error("validation_fraction")),
    ("validation_fraction-one", dict(early_stopping=True, validation_fraction=1.0),
     param_error("validation_fraction")),
    ("n_iter_no_change-zero", dict(n_iter_no_change=0), param_error("n_iter_no_change")),
    ("tol-negative", dict(tol=-1e-4), param_error("tol")),
    ("tol-nan", dict(tol=np.nan), param_error("tol")),
    ("persistent_particles-string", dict(persistent_particles="yes"),
     param_error("persistent_particles")),
    ("random_state-string", dict(random_state="seed"), param_error("random_state")),
    ("verbose-negative", dict(verbose=-1), param_error("verbose")),
]

HYPERPARAMETER_CASES = [
    pytest.param(
        (lambda p: lambda m: small(**p).fit(X, Y))(params), ValueError, match,
        id=f"fit-{name}",
    )
    for name, params, match in BAD_HYPERPARAMETERS
] + [
    pytest.param(
        (lambda p: lambda m: small(**p).partial_fit(X, Y, classes=CLASSES))(params),
        ValueError, match, id=f"partial_fit-{name}",
    )
    for name, params, match in BAD_HYPERPARAMETERS
]


@pytest.mark.parametrize(
    "call, error, match",
    [pytest.param(call, error, match, id=name) for name, call, error, match in BAD_INPUT]
    + HYPERPARAMETER_CASES,
)
def test_bad_input_raises_a_clear_error(fitted, call, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow on the way to divergence
        with pytest.raises(error, match=match):
            call(fitted)


# A failed first call leaves the estimator unfitted, as if it had never been called.
FAILED_FIRST_CALLS = [
    pytest.param({}, lambda m: m.fit(with_value(X, np.nan), Y), id="fit-X-nan"),
    pytest.param(dict(hidden_layer_sizes=()), lambda m: m.fit(X, Y), id="fit-no-hidden-layer"),
    pytest.param(dict(learning_rate=1e300), lambda m: m.fit(X, Y), id="fit-diverging"),
    pytest.param(
        {}, lambda m: m.partial_fit(with_value(X, np.nan), Y, classes=CLASSES),
        id="partial_fit-X-nan",
    ),
    pytest.param(
        {}, lambda m: m.partial_fit(X, Y + 100, classes=CLASSES), id="partial_fit-unseen-class"
    ),
    pytest.param(
        dict(early_stopping=True), lambda m: m.partial_fit(X, Y, classes=CLASSES),
        id="partial_fit-early-stopping",
    ),
    pytest.param(
        dict(learning_rate=(0.1,)), lambda m: m.partial_fit(X, Y, classes=CLASSES),
        id="partial_fit-learning-rate-wrong-length",
    ),
]


@pytest.mark.parametrize("params, failing_call", FAILED_FIRST_CALLS)
def test_failed_first_call_leaves_estimator_unfitted(params, failing_call):
    model = small(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError):
            failing_call(model)
    assert_unfitted(model)
    # ...and a correct first call, with other classes, then works.
    model.set_params(**SMALL, learning_rate="auto", early_stopping=False)
    model.partial_fit(X, Y % 2, classes=[0, 1])
    np.testing.assert_array_equal(model.classes_, [0, 1])


# A failed call on a fitted model changes nothing, bit for bit; the next call
# continues as if the failed one had never happened (same random stream).
FAILED_CALLS_ON_FITTED = [
    pytest.param(lambda m: m.partial_fit(with_value(X, np.nan), Y), id="partial_fit-X-nan"),
    pytest.param(lambda m: m.partial_fit(X, Y + 100), id="partial_fit-unseen-class"),
    pytest.param(lambda m: m.partial_fit(X[:, :10], Y), id="partial_fit-n-features"),
    pytest.param(
        lambda m: m.set_params(learning_rate=1e300).partial_fit(X, Y),
        id="partial_fit-diverging-learning-rate",
    ),
    pytest.param(
        lambda m: m.set_params(warm_start=True).fit(with_value(X, np.inf), Y),
        id="warm-fit-X-inf",
    ),
    pytest.param(lambda m: m.set_params(warm_start=True).fit(X, Y + 100), id="warm-fit-new-class"),
    pytest.param(
        lambda m: m.set_params(warm_start=True).fit(X[:, :10], Y), id="warm-fit-n-features"
    ),
    pytest.param(
        lambda m: m.set_params(warm_start=True, learning_rate=(0.1,)).fit(X, Y),
        id="warm-fit-learning-rate-wrong-length",
    ),
    pytest.param(
        lambda m: m.set_params(warm_start=True, learning_rate=1e300).fit(X, Y),
        id="warm-fit-diverging-learning-rate",
    ),
    pytest.param(
        lambda m: m.set_params(warm_start=True, early_stopping=True).fit(X[:10], Y[:10] % 2),
        id="warm-fit-validation-set-too-small",
    ),
]


@pytest.mark.parametrize("failing_call", FAILED_CALLS_ON_FITTED)
def test_failed_call_leaves_fitted_model_unchanged(fitted, failing_call):
    twin = pickle.loads(pickle.dumps(fitted))
    params = fitted.get_params()
    state = fitted_state(fitted)
    coefs = [W.copy() for W in fitted.coefs_]
    intercepts = [b.copy() for b in fitted.intercepts_]
    n_iter, loss_curve = fitted.n_iter_, list(fitted.loss_curve_)
    proba = fitted.predict_proba(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError):
            failing_call(fitted)

    assert_identical(fitted.coefs_, coefs, "coefs_")
    assert_identical(fitted.intercepts_, intercepts, "intercepts_")
    assert fitted.n_iter_ == n_iter
    assert fitted.loss_curve_ == loss_curve
    assert_identical(fitted.predict_proba(X), proba, "predict_proba")
    assert_identical(fitted_state(fitted), state, "vars(estimator)")
    # The random stream was restored too: the next epoch is the one the twin runs.
    fitted.set_params(**params)
    fitted.partial_fit(X, Y)
    twin.partial_fit(X, Y)
    assert_identical(fitted.coefs_ + fitted.intercepts_, twin.coefs_ + twin.intercepts_)


@pytest.mark.parametrize("dtype, magnitude", [(np.float64, 1.7e308), (np.float32, 3e38)])
def test_huge_finite_input_gives_an_error_or_finite_probabilities(dtype, magnitude):
    # Finite values near the dtype's maximum overflow the input drive x @ W0 (+inf in
    # one partial sum, -inf in another): the result must not be NaN.
    model = small().fit(X.astype(dtype), Y)
    signs = np.random.RandomState(0).choice([-1.0, 1.0], size=(2000, X.shape[1]))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            proba = model.predict_proba(signs * magnitude)
        except ValueError as error:
            assert "scale" in str(error) or "too large" in str(error), str(error)
            return
    bad_rows = np.flatnonzero(~np.isfinite(proba).all(axis=1))
    assert bad_rows.size == 0, f"{bad_rows.size} of 2000 rows of predict_proba are NaN"
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# ================================================================= 2. determinism
def coefficients(model):
    return model.coefs_ + model.intercepts_


@pytest.mark.parametrize("relaxation", ["gradient", "layerwise"])
@pytest.mark.parametrize("nudging", ["random_sign", "symmetric"])
def test_same_random_state_gives_bit_identical_fit(nudging, relaxation):
    fits = [
        small(nudging=nudging, relaxation=relaxation, batch_size=5, random_state=7).fit(X, Y)
        for _ in range(2)
    ]
    assert_identical(coefficients(fits[0]), coefficients(fits[1]), "coefs_ + intercepts_")
    assert fits[0].loss_curve_ == fits[1].loss_curve_
    assert_identical(fits[0].predict_proba(X), fits[1].predict_proba(X), "predict_proba")


@pytest.mark.parametrize("nudging", ["random_sign", "symmetric"])
def test_same_random_state_gives_bit_identical_partial_fit_sequence(nudging):
    def sequence(pickle_midway):
        model = small(nudging=nudging, batch_size=5, random_state=7)
        for start in (0, 10, 20, 0):
            model.partial_fit(X[start : start + 10], Y[start : start + 10], classes=CLASSES)
            if pickle_midway:
                model = pickle.loads(pickle.dumps(model))
        return model

    first, second, pickled = sequence(False), sequence(False), sequence(True)
    assert_identical(coefficients(first), coefficients(second), "coefs_ + intercepts_")
    assert_identical(coefficients(first), coefficients(pickled), "after pickling")
    assert first.n_iter_ == second.n_iter_ == 4


# ================================================================= 3. concurrency
def test_concurrent_predict_proba_matches_serial_and_writes_nothing(fitted):
    X_many = _DIGITS_X[:400]
    slices = [X_many[i : i + 100] for i in range(0, 400, 100)]
    serial = [fitted.predict_proba(part) for part in slices]
    before = snapshot(fitted)
    start = threading.Barrier(len(slices))

    def work(part):
        start.wait()  # every thread enters predict_proba at the same moment
        return [fitted.predict_proba(part) for _ in range(3)]

    with ThreadPoolExecutor(max_workers=len(slices)) as pool:
        results = list(pool.map(work, slices))
    for expected, repeats in zip(serial, results):
        for got in repeats:
            assert_identical(got, expected, "predict_proba in a thread")
    assert_identical(snapshot(fitted), before, "vars(estimator)")


# ================================================================= 4. interruption
def interrupt_at(monkeypatch, call_number):
    """Make the NumPy backend's minibatch step raise KeyboardInterrupt on its
    ``call_number``-th call (until ``monkeypatch.undo()``)."""
    original = NumpyEpochs.train_batch
    calls = []

    def train_batch(*args, **kwargs):
        calls.append(None)
        if len(calls) == call_number:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(NumpyEpochs, "train_batch", train_batch)
    return calls


def test_keyboard_interrupt_keeps_a_usable_model(monkeypatch):
    model = small(max_iter=3, batch_size=5)  # 6 minibatches per epoch
    calls = interrupt_at(monkeypatch, 6 + 5)  # the 5th minibatch of the 2nd epoch
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, Y)
    assert len(calls) == 11
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 1
    assert all(np.isfinite(W).all() for W in coefficients(model))
    proba = model.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X)) <= set(model.classes_)
    # The interrupted model trains on.
    monkeypatch.undo()
    model.partial_fit(X, Y)
    assert model.n_iter_ == 2


@pytest.mark.parametrize("warm", [False, True], ids=["first-fit", "warm-start"])
def test_keyboard_interrupt_after_divergence_restores_previous_state(fitted, warm, monkeypatch):
    # Interrupted with diverged weights, fit re-raises: it must not leave a half-made
    # model behind (fitted attributes without coefs_, or another model's learning rates).
    model = fitted if warm else small()
    model.set_params(warm_start=True, learning_rate=1e300, batch_size=5)
    state = fitted_state(model)
    interrupt_at(monkeypatch, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, Y)
    monkeypatch.undo()
    if warm:
        assert_identical(fitted_state(model), state, "vars(estimator)")
    else:
        assert_unfitted(model)


# ================================================================= 5. footprint
@pytest.mark.parametrize("solver, copies", [("sgd", 1), ("adam", 3)])
def test_pickled_model_holds_only_its_parameters(solver, copies):
    """The parameters, and with Adam its two moments (kept for warm starts, as MLP's)."""
    X_train, y_train = _DIGITS_X[:1000], _DIGITS_Y[:1000]
    model = EqPropClassifier(
        hidden_layer_sizes=(100,), solver=solver, persistent_particles=True, max_iter=2,
        random_state=0,
    )
    model.fit(X_train, y_train)
    parameter_bytes = sum(p.nbytes for p in coefficients(model))
    size = len(pickle.dumps(model))
    # Training data (512 kB) or persistent particles (880 kB) would far exceed this.
    assert size <= 1.2 * copies * parameter_bytes + 10_000, (size, parameter_bytes)


# ================================================================= 6. fuzzing
LABEL_SETS = {
    "int": np.array([3, -1, 10]),
    "str": np.array(["cat", "dog", "emu"]),
    "float-integral": np.array([0.0, 1.0, 2.0]),
    "float-fractional": np.array([0.5, 1.5, 2.25]),
    "bool": np.array([False, True]),
}


@st.composite
def datasets(draw):
    """Tiny data sets of every dtype, scale and label type (possibly invalid)."""
    n_samples = draw(st.integers(0, 40))
    n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from(["float32", "float64", "int64", "bool"]))
    scale = draw(
        st.sampled_from([1e-3, 1.0, 1e3, 1e6, 1e30])
        | st.floats(1e-3, 1e6, allow_nan=False, allow_infinity=False)
    )
    offset = draw(st.sampled_from([0.0, 1.0]))  # in [-1, 1] or in [0, 2], times scale
    labels = LABEL_SETS[draw(st.sampled_from(sorted(LABEL_SETS)))]
    n_classes = draw(st.integers(1, len(labels)))
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    values = (rng.uniform(-1, 1, size=(n_samples, n_features)) + offset) * scale
    if dtype == "int64":
        X_ = np.rint(np.clip(values, -(2.0**62), 2.0**62)).astype(np.int64)
    elif dtype == "bool":
        X_ = values > offset * scale
    else:
        X_ = values.astype(dtype)
    y_ = labels[rng.randint(n_classes, size=n_samples)]
    return X_, y_


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=25)
@given(data=datasets())
def test_fuzzed_data_gives_an_error_or_valid_predictions(data):
    """Data with two classes or more fit and predict, whatever their dtype and scale;
    the rest (no sample, a single class) raise a ValueError that says why."""
    X_, y_ = data
    model = EqPropClassifier(
        hidden_layer_sizes=(4,), max_iter=2, n_iter_free=3, n_iter_nudged=2, batch_size=5,
        random_state=0,
    )
    if len(np.unique(y_)) < 2:
        with pytest.raises(ValueError, match="sample|class"):
            model.fit(X_, y_)
        return
    model.fit(X_, y_)
    assert all(np.isfinite(p).all() for p in coefficients(model))
    predictions = model.predict(X_)
    assert predictions.shape == (len(X_),)
    assert np.isin(predictions, model.classes_).all()
    assert np.isin(model.classes_, y_).all()
    proba = model.predict_proba(X_)
    assert proba.shape == (len(X_), len(model.classes_))
    assert np.isfinite(proba).all(), "predict_proba returned NaN or inf"
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
