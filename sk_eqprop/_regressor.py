"""EqPropRegressor: an Equilibrium Propagation network with real-valued outputs."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context

from ._base import BaseEqProp
from ._targets import RegressionCoding


class EqPropRegressor(RegressorMixin, BaseEqProp):
    """Regressor trained by Equilibrium Propagation (Scellier & Bengio, 2017).

    The network of :class:`EqPropClassifier`, with one output unit per target.
    The defaults read the outputs through a linear readout outside the energy
    (see ``output``) from standardised input, and train on standardised
    targets (their mean and standard deviation on the first call to ``fit``
    or ``partial_fit``); predictions are mapped back, so targets of any scale
    can be used as they are. With ``output="energy"`` the output units live in
    [0, 1], and the targets' range on the first call is mapped onto
    [0.1, 0.9] instead.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Number of units of each hidden layer. At least one hidden layer.

    output : {"readout", "energy"}, default="readout"
        ``"readout"``: a linear readout of the last hidden layer, outside the
        energy, trained on the squared error (Laborieux et al., 2021);
        ``"energy"``: the paper's output units in the energy, clipped to [0, 1].
        See :class:`EqPropClassifier`.

    input_scaling : {"standard"} or None, default="standard"
        Standardise the features inside the estimator; see :class:`EqPropClassifier`.

    beta : float or "auto", default="auto"
        Strength of the nudge towards the target in the weakly clamped phase;
        ``"auto"`` is ``0.2 / 4**(n - 1)`` for ``n`` hidden layers, see
        :class:`EqPropClassifier`. The value in use is ``beta_``.

    epsilon : float, default=0.5
        Step size of the gradient relaxation dynamics (paper, Eq. 43), in (0, 1].

    n_iter_free : int, default=100
        Relaxation iterations of the free phase in training (a cap with ``relax_tol``).

    n_iter_nudged : int or "auto", default="auto"
        Relaxation iterations of each weakly clamped phase (a cap with
        ``relax_tol``); ``"auto"`` stops a sample once ``(s_beta - s_0) / beta``
        has settled to ``relax_tol``, capped at 4 sweeps per hidden layer, see
        :class:`EqPropClassifier`.

    learning_rate : "auto", float or array-like of shape (n_layers - 1,), default=0.003
        Learning rate of each weight layer, from the input upwards; see
        :class:`EqPropClassifier`. Smaller than the classifier's default: on
        standardised targets with the penalty of ``alpha="auto"``, Adam's
        smaller steps settle closer to the penalised optimum on small, noisy
        data sets.

    learning_rate_schedule : {"constant", "cosine"}, default="constant"
        How the learning rates change over the epochs; see
        :class:`EqPropClassifier`.

    solver : {"adam", "sgd"}, default="adam"
        Adam steps or the paper's plain steps; see :class:`EqPropClassifier`.

    alpha : float or "auto", default="auto"
        Strength of the L2 penalty on the weights (not the biases), with
        :class:`~sklearn.neural_network.MLPRegressor`'s convention. ``"auto"``
        is 2.0 at any depth: on standardised targets, small and noisy
        regression data sets overfit with a weaker penalty, and a stronger one
        underfits smooth non-linear targets (the classifier's weaker penalty at
        depth, 0.01, lets noisy regression sets overfit). The value in use is
        ``alpha_``.

    batch_size : int or "auto", default="auto"
        Size of the minibatches; ``"auto"`` is ``min(200, n_samples)``.

    max_iter : int, default=200
        Maximum number of epochs; training stops earlier when the loss (or the
        validation score, with ``early_stopping``) has not improved by ``tol``
        for ``n_iter_no_change`` epochs.

    nudging : {"symmetric", "random_sign", "positive"}, default="symmetric"
        How the weakly clamped phase is run; see :class:`EqPropClassifier`.

    relaxation : {"layerwise", "gradient"}, default="layerwise"
        The relaxation dynamics; see :class:`EqPropClassifier`.

    relax_tol : float or None, default=1e-3
        Per-sample stopping tolerance of the relaxation; see :class:`EqPropClassifier`.

    n_iter_predict : int or None, default=None
        Cap on prediction's relaxation (to each sample's fixed point); see
        :class:`EqPropClassifier`.

    init_gain : float, default=0.5
        Multiplier of the Glorot-uniform bound of the initial weights.

    coupling_bound : "auto", float or None, default="auto"
        Bound on the singular values of every weight matrix between two
        relaxing layers, which keeps the energy convex in the states
        (``"auto"``: 0.8 for two relaxing layers, 0.57 for three, 0.49 for
        four); see :class:`EqPropClassifier`. None disables it.

    persistent_particles : bool, default=False
        Start each training example's free phase from its previous free fixed
        point; see :class:`EqPropClassifier`.

    shuffle : bool, default=True
        Shuffle the training samples at every epoch.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when its R^2 has
        not improved by ``tol`` for ``n_iter_no_change`` epochs.

    validation_fraction : float, default=0.1
        Proportion of the training data held out for early stopping.

    n_iter_no_change : int, default=10
        Number of epochs without improvement by ``tol`` before stopping.

    tol : float, default=1e-4
        Minimum improvement of the loss or validation score. The loss is
        measured on the output units' scale: standardised targets with the
        readout, targets mapped onto [0.1, 0.9] with ``output="energy"``
        (where a well-fitted model's cost is of the order of 1e-3 and a
        smaller ``tol``, e.g. 1e-6, suits better).

    warm_start : bool, default=False
        Continue from the previous solution when ``fit`` is called again.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, the validation split and the
        signs of ``beta``.

    verbose : int, default=0
        Print one line per epoch.

    backend : {"numpy", "jax"}, default="numpy"
        Where training runs. ``"numpy"`` is the reference implementation.
        ``"jax"`` compiles whole chunks of minibatches with JAX (an optional
        extra: ``pip install "sk_eqprop[jax]"``), on the CPU or a GPU: the same
        network, the same random draws, faster per epoch once compiled (each
        shape of network compiles once per process). It computes in float32
        unless JAX's x64 mode is on. Prediction always
        runs in NumPy, so a model fitted with JAX loads and predicts without
        it. See "Backends and speed" in the documentation.

    Attributes
    ----------
    coefs_, intercepts_ : list of ndarray
        Weights and biases, as in :class:`EqPropClassifier`.

    learning_rates_ : tuple of float
        The learning rate of each weight layer.

    beta_, alpha_ : float
        The ``beta`` and ``alpha`` of the last training call (``"auto"``
        resolved for the network's depth).

    coupling_bound_ : float or None
        The ``coupling_bound`` of the last training call (``"auto"`` resolved
        for the network's depth; None where the network has no coupling or
        the bound is off).

    loss_ : float
        Mean cost ``C = 1/2 ||y - d||^2`` at the free fixed point over the last
        epoch, with targets ``d`` in the network's [0, 1] scale.

    loss_curve_ : list of float
        ``loss_`` of every epoch.

    best_loss_ : float or None
        Lowest ``loss_`` so far; None with ``early_stopping``.

    validation_scores_ : list of float or None
        Validation R^2 of every epoch with ``early_stopping``, else None.

    best_validation_score_ : float or None
        Best validation R^2 with ``early_stopping``, else None.

    input_offset_, input_scale_ : ndarray of shape (n_features_in_,) or None
        The map of the features onto the network's input; see :class:`EqPropClassifier`.

    target_offset_, target_scale_ : ndarray of shape (n_outputs,)
        The map of targets onto the output units: ``d = (y - target_offset_) / target_scale_``.

    n_iter_ : int
        Number of epochs run.

    t_ : int
        Number of training samples seen.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of targets.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string feature names.

    See Also
    --------
    EqPropClassifier : The classifier.
    sklearn.neural_network.MLPRegressor : The same network trained by backpropagation.

    Notes
    -----
    Neither features nor targets need scaling at the defaults. With
    ``output="energy"`` predictions lie within the image of the output range
    [0, 1], i.e. at most 1/8 of the training targets' range beyond their
    minimum and maximum; the linear readout has no such bound.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_eqprop import EqPropRegressor
    >>> X, y = make_regression(n_samples=300, n_features=5, noise=5, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reg = make_pipeline(StandardScaler(), EqPropRegressor(random_state=0))
    >>> reg.fit(X_train, y_train).score(X_test, y_test) > 0.8
    True
    """

    _AUTO_ALPHA = (2.0, 2.0)  # one hidden layer, two or more

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        *,
        output="readout",
        input_scaling="standard",
        beta="auto",
        epsilon=0.5,
        n_iter_free=100,
        n_iter_nudged="auto",
        learning_rate=0.003,
        learning_rate_schedule="constant",
        solver="adam",
        alpha="auto",
        batch_size="auto",
        max_iter=200,
        nudging="symmetric",
        relaxation="layerwise",
        relax_tol=1e-3,
        n_iter_predict=None,
        init_gain=0.5,
        coupling_bound="auto",
        persistent_particles=False,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        random_state=None,
        verbose=0,
        backend="numpy",
    ):
        super().__init__(
            hidden_layer_sizes,
            output=output,
            input_scaling=input_scaling,
            beta=beta,
            epsilon=epsilon,
            n_iter_free=n_iter_free,
            n_iter_nudged=n_iter_nudged,
            learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            max_iter=max_iter,
            nudging=nudging,
            relaxation=relaxation,
            relax_tol=relax_tol,
            n_iter_predict=n_iter_predict,
            init_gain=init_gain,
            coupling_bound=coupling_bound,
            persistent_particles=persistent_particles,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            backend=backend,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on (X, y) by Equilibrium Propagation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (standardised inside the estimator at the default
            ``input_scaling``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, of any scale.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the contrastive update, the input
            standardisation and the initial output bias.

        Returns
        -------
        self : EqPropRegressor
            The fitted estimator.
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch of Equilibrium Propagation on (X, y).

        The first call fixes the map of the targets onto the output units from
        its ``y`` (its mean and standard deviation; its range with
        ``output="energy"``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the contrastive update, the input
            standardisation and the initial output bias.

        Returns
        -------
        self : EqPropRegressor
            The trained estimator.
        """
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def _fit_target_coding(self, y, incremental, reset, sample_weight=None):
        y = np.asarray(y, dtype=np.float64)
        y_2d = y.reshape(-1, 1) if y.ndim == 1 else y
        if reset:
            self.target_offset_, self.target_scale_ = RegressionCoding.statistics(
                y_2d, self.output, sample_weight
            )
            self._y_ndim = y.ndim
        elif y_2d.shape[1] != self.target_scale_.shape[0]:
            raise ValueError(
                f"y has {y_2d.shape[1]} targets but the network was trained with "
                f"{self.target_scale_.shape[0]}; set warm_start=False to train a new network."
            )
        return y

    def _target_coding(self):
        return RegressionCoding(self.target_offset_, self.target_scale_, self._y_ndim,
                                self.output)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
