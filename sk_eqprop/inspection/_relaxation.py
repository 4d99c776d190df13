"""The free phase of a fitted network, relaxed step by step from zero states."""

from sklearn.utils.validation import validate_data

from .._base import network_input, training_settings
from .._core import relax, zero_states
from .._core.training import input_drive
from ._alignment import _unwrap


def free_phase(estimator, X, *, relaxation=None, tol=1e-4, max_iter=1000):
    """Relax the free phase of a fitted network from zero states; count the iterations.

    Each sample relaxes with the paper's gradient dynamics (Eq. 43) or the
    layerwise sweeps until no unit moves by more than ``tol`` in one iteration,
    for at most ``max_iter`` iterations, as ``predict`` does.

    Parameters
    ----------
    estimator : EqPropClassifier, EqPropRegressor or Pipeline ending in one
        A fitted network (a pipeline's earlier steps transform ``X`` first).
    X : array-like of shape (n_samples, n_features)
        Samples.
    relaxation : {"gradient", "layerwise"} or None, default=None
        The dynamics; None uses the estimator's ``relaxation``.
    tol : float, default=1e-4
        A sample stops once none of its units moves by more than ``tol``.
    max_iter : int, default=1000
        Cap on the iterations (steps or sweeps) of each sample.

    Returns
    -------
    states : ndarray of shape (n_samples, n_free_units)
        The relaxing layers at the fixed point, side by side: the hidden layers,
        then the output layer when the outputs are part of the energy
        (``output="energy"``).
    n_steps : ndarray of shape (n_samples,)
        Iterations each sample took.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_digits
    >>> from sk_eqprop import EqPropClassifier
    >>> from sk_eqprop.inspection import free_phase
    >>> X, y = load_digits(return_X_y=True)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     clf = EqPropClassifier(hidden_layer_sizes=(16,), output="energy", max_iter=2,
    ...                            random_state=0).fit(X, y)
    >>> states, n_steps = free_phase(clf, X[:5], relaxation="gradient")
    >>> states.shape, bool((n_steps > 1).all())
    ((5, 26), True)
    """
    estimator, X = _unwrap(estimator, X)
    dtype = estimator.coefs_[0].dtype
    X = validate_data(estimator, X, reset=False, accept_sparse="csr", dtype=dtype)
    x = network_input(estimator, X)
    settings = training_settings(estimator)
    weights = settings.relaxing(estimator.coefs_)
    biases = settings.relaxing(estimator.intercepts_)
    states = zero_states(X.shape[0], weights)
    method = estimator.relaxation if relaxation is None else relaxation
    n_steps = relax(
        input_drive(x, estimator.coefs_[0], shift=settings.input_shift), states, weights,
        biases, int(max_iter),
        method=method, epsilon=estimator.epsilon, tol=float(tol),
    )
    return states, n_steps
