"""EqPropClassifier: the paper's network as a scikit-learn classifier."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
)
from sklearn.utils.validation import column_or_1d

from ._base import BaseEqProp
from ._targets import ClassCoding, LabelIndicatorCoding


class EqPropClassifier(ClassifierMixin, BaseEqProp):
    """Classifier trained by Equilibrium Propagation (Scellier & Bengio, 2017).

    A layered energy-based network with hard-sigmoid units ``rho(s) = clip(s, 0, 1)``
    and symmetric connections. At the defaults the input is standardised and
    clamped, the hidden layers relax from zero states to a fixed point of
    their energy (the *free phase*), and a softmax readout of the last hidden
    layer, outside the energy, gives the class probabilities (Laborieux et al.,
    2021). In training the readout's cross-entropy then weakly pulls the hidden
    layers towards the target (the *weakly clamped* or *nudged* phases, at
    ``+beta`` and ``-beta``), every hidden weight changes by the difference of
    the products of its two units' activities between the phases, and the
    readout follows the exact gradient of its loss; Adam takes the steps. No
    error is back-propagated: the update is local, and it approaches the
    gradient of the loss as ``beta`` goes to 0.

    The defaults are chosen for everyday data (compared with
    :class:`~sklearn.neural_network.MLPClassifier` on the documentation's
    benchmarks page). The paper's own network, with one output unit per class
    inside the energy, its gradient dynamics and plain steps, is
    :func:`paper_hyperparameters`.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Number of units of each hidden layer. At least one hidden layer.

    output : {"readout", "energy"}, default="readout"
        Where the output units live. ``"energy"`` is the paper's network: one
        output unit per class is the last layer of the energy, relaxes with the
        hidden layers, and the cost ``C = 1/2 ||y - d||^2`` nudges it; a unit
        clipped at the wrong end of [0, 1] gets no nudge, and the samples stuck
        there stop teaching the network. ``"readout"`` (Laborieux et al., 2021)
        keeps the output layer outside the energy: it reads the last hidden layer
        through a softmax (logistic units for multilabel data), the nudged phase
        pulls the last hidden layer along minus ``beta`` times the gradient of the
        cross-entropy, and the readout's own weights follow that gradient exactly.

    input_scaling : {"standard"} or None, default="standard"
        ``"standard"`` maps every feature to zero mean and unit variance with the
        statistics of the first training call (``input_offset_``,
        ``input_scale_``) before it is clamped, so any scaler, or none, gives
        the same network. Sparse input stays sparse: it is divided by the scale,
        and the centring is folded exactly into the first layer's drive and
        update, so it trains the network the same data dense would. None clamps the
        input as given (the paper's pixels in [0, 1]).

    beta : float or "auto", default="auto"
        Strength of the nudge towards the target in the weakly clamped phase
        (the paper's ``beta``, > 0). Smaller values make the update closer to
        the true gradient but noisier. ``"auto"`` is ``0.2 / 4**(n - 1)`` for
        ``n`` hidden layers (0.2, 0.05, 0.0125, ...): from two hidden layers on
        the layers interact, a nudge moves the lower layers through the ones
        above, and a finite nudge pushes units across the clip's bounds, where
        the estimate stops being the derivative, unless it shrinks with depth.
        The value in use is ``beta_``.

    epsilon : float, default=0.5
        Step size of the gradient relaxation dynamics (paper, Eq. 43), in (0, 1];
        unused by ``relaxation="layerwise"``.

    n_iter_free : int, default=100
        Relaxation iterations of the free phase in training (a cap when
        ``relax_tol`` is set: the default lets every sample settle, so that
        training reaches the fixed points that prediction reaches).

    n_iter_nudged : int or "auto", default="auto"
        Relaxation iterations of each weakly clamped phase (a cap when
        ``relax_tol`` is set, which stops a sample once none of its units moved
        by more than ``relax_tol``). ``"auto"`` stops a sample once the quantity
        the update reads, ``(s_beta - s_0) / beta``, has settled to
        ``relax_tol`` (a tolerance of ``relax_tol * beta`` on the states), with a
        cap of 4 sweeps per hidden layer (the nudge reaches one layer further
        down with each sweep), or ``n_iter_free`` steps with
        ``relaxation="gradient"``.

    learning_rate : "auto", float or array-like of shape (n_layers - 1,), default=0.01
        Learning rate of each weight layer, from the input upwards (the biases
        of a layer use the rate of the weights into it): the step size of Adam
        with ``solver="adam"``, the paper's per-layer rates (its ``alpha_k``, not
        this estimator's ``alpha``) with ``solver="sgd"``.
        A float applies to every layer. ``"auto"`` with ``solver="sgd"`` uses
        the paper's rates for one, two and three hidden layers (0.1, 0.05 / 0.4,
        0.1, 0.01 / 0.128, 0.032, 0.008, 0.002) and ``0.128 / 4**k`` for weight
        layer ``k`` of deeper networks; with Adam, whose step is the rate itself,
        it is 0.01 for every layer. The rates in use are stored in
        ``learning_rates_``.

    learning_rate_schedule : {"constant", "cosine"}, default="constant"
        How the learning rates change over the epochs. ``"constant"`` keeps
        them (the paper). ``"cosine"`` anneals every rate over the ``max_iter``
        epochs of ``fit`` along half a cosine, ``rate * (1 + cos(pi * t /
        max_iter)) / 2`` in epoch ``t = 0, 1, ...``: large steps first, then
        small ones that let the weights settle instead of fluctuating with the
        last minibatches (Scellier et al., 2024 anneal the same way).
        ``partial_fit`` uses the position ``t = n_iter_`` (clipped to
        ``max_iter - 1``).

    solver : {"adam", "sgd"}, default="adam"
        How the EqProp estimate of the gradient moves the parameters: Adam
        steps (Kingma & Ba, 2015, as :class:`~sklearn.neural_network.MLPClassifier`),
        or the paper's plain steps ``W_k <- W_k + rate_k / beta * (...)``.

    alpha : float or "auto", default="auto"
        Strength of the L2 penalty on the weights (not the biases), with
        :class:`~sklearn.neural_network.MLPClassifier`'s convention: the
        penalty ``alpha / (2 n) ||W_k||^2`` of a minibatch of ``n`` samples
        (with ``solver="sgd"``, each minibatch first shrinks ``W_k`` by the factor
        ``1 - rate_k * alpha / n``). 0 (the paper) disables it. ``"auto"`` is 1.0
        for one hidden layer and 0.01 for more: there the coupling bound already
        limits the weights between hidden layers, and a strong penalty keeps the
        upper layers' activity too small to learn from. The value in use is
        ``alpha_``.

    batch_size : int or "auto", default="auto"
        Size of the minibatches; ``"auto"`` is ``min(200, n_samples)``, as
        :class:`~sklearn.neural_network.MLPClassifier` (the paper uses 20).

    max_iter : int, default=100
        Maximum number of epochs. Training stops earlier when the training loss
        (or the validation score, with ``early_stopping``) has not improved by
        ``tol`` for ``n_iter_no_change`` epochs.

    nudging : {"symmetric", "random_sign", "positive"}, default="symmetric"
        How the weakly clamped phase is run. ``"random_sign"`` draws the sign of
        ``beta`` at random for each minibatch (the paper's choice, which
        cancels the estimator's first-order bias on average), ``"positive"``
        always uses ``+beta``, ``"symmetric"`` runs two nudged phases at
        ``+beta`` and ``-beta`` and uses their difference (Laborieux et al.,
        2021), at the cost of one more phase.

    relaxation : {"layerwise", "gradient"}, default="layerwise"
        The dynamics that relax the network to a fixed point of its energy.
        ``"gradient"`` is the paper's Eq. 43: every layer steps by ``epsilon``
        along minus the energy gradient, all at once. ``"layerwise"`` sets each
        layer to its exact minimiser given its neighbours (even layers, then odd
        layers), in far fewer iterations, and ``epsilon`` is unused.
        ``n_iter_free`` and ``n_iter_nudged`` then count sweeps.

    relax_tol : float or None, default=1e-3
        If set, each sample stops relaxing as soon as none of its units moved by
        more than ``relax_tol`` in one iteration; ``n_iter_free`` and
        ``n_iter_nudged`` become caps. The test is per sample, so predictions
        stay independent of the batch. None runs every iteration in training,
        as the paper.

    n_iter_predict : int or None, default=None
        Cap on the relaxation iterations of prediction. ``predict``,
        ``predict_proba`` and ``score`` relax every sample from zero until none
        of its units moves by more than ``relax_tol`` (1e-4 when ``relax_tol``
        is None) in one iteration, and warn (``ConvergenceWarning``) about the
        samples that reach the cap first. None is ``max(n_iter_free, 100)``.

    init_gain : float, default=0.5
        Multiplier of the Glorot-uniform bound of the initial weights
        (1.0 is the paper's initialisation). Smaller weights keep the
        hard-sigmoid units in their linear range at the start.

    coupling_bound : "auto", float or None, default="auto"
        Bound on the singular values of every weight matrix between two
        relaxing layers (hidden to hidden, and hidden to output with
        ``output="energy"``; not the input's weights, nor a readout's). After
        every step each coupling is projected onto the bound: its singular
        values above it are clipped to it, the others left alone. While the
        couplings of the whole chain of relaxing layers have norm below 1 the
        energy is strictly convex in the states: the free and nudged phases
        then have a single fixed point, which relaxation from zero (as in
        ``predict``) and from the free fixed point reach, and which responds
        smoothly to the nudge. For ``n`` relaxing layers that norm is at most
        ``2 cos(pi / (n + 1))`` times the bound (1x for two layers, 1.41x for
        three, 1.62x for four); ``"auto"`` keeps it at 0.8: 0.8 for two
        relaxing layers, 0.57 for three, 0.49 for four. Unbounded couplings
        grow in training until the energy has several minima and the nudged
        phase leaves the free phase's basin. It has no effect with one hidden
        layer and a readout (no coupling). None disables it (the paper).

    persistent_particles : bool, default=False
        Start each training example's free phase from its free fixed point of
        the previous epoch (the paper's persistent particles), which lets a few
        relaxation steps suffice. Prediction has no particles and relaxes from
        zero; as the energy has several minima, a network trained with particles
        can be right at its particles' fixed points and wrong at predict's.
        The states are kept during ``fit`` only; ``partial_fit`` starts from zero.

    shuffle : bool, default=True
        Shuffle the training samples at every epoch.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and
        stop when its accuracy has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; the weights of the best epoch are kept.

    validation_fraction : float, default=0.1
        Proportion of the training data held out for early stopping.

    n_iter_no_change : int, default=10
        Number of epochs without improvement by ``tol`` before stopping.

    tol : float, default=1e-4
        Minimum improvement of the loss or validation score.

    warm_start : bool, default=False
        Continue from the previous solution when ``fit`` is called again.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, the validation split and the
        signs of ``beta``. Pass an int for reproducible results.

    verbose : int, default=0
        Print one line per epoch with the loss, training error and time.

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
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel data, the label indices ``0 .. n_labels - 1``).

    coefs_ : list of ndarray
        ``coefs_[k]`` of shape (n_units_k, n_units_{k+1}) are the weights
        between layer ``k`` and layer ``k + 1`` (layer 0 is the input).

    intercepts_ : list of ndarray
        ``intercepts_[k]`` are the biases of layer ``k + 1``.

    learning_rates_ : tuple of float
        The learning rate of each weight layer used by the last training call.

    beta_, alpha_ : float
        The ``beta`` and ``alpha`` of the last training call (``"auto"``
        resolved for the network's depth).

    coupling_bound_ : float or None
        The ``coupling_bound`` of the last training call (``"auto"`` resolved
        for the network's depth; None where the network has no coupling or
        the bound is off).

    input_offset_, input_scale_ : ndarray of shape (n_features_in_,) or None
        The map of the features onto the network's input,
        ``(X - input_offset_) / input_scale_``; None with ``input_scaling=None``.

    loss_ : float
        Mean loss at the free fixed point over the last epoch: the readout's
        cross-entropy (for multilabel data, the binary cross-entropy averaged
        over the labels), or the cost
        ``C = 1/2 ||y - d||^2`` of ``output="energy"``.

    loss_curve_ : list of float
        ``loss_`` of every epoch.

    train_error_curve_ : list of float
        Fraction of training examples misclassified at their free fixed point
        during each epoch (measured while training, as in the paper).

    best_loss_ : float or None
        Lowest ``loss_`` so far; None with ``early_stopping``, where the
        validation score decides (``best_validation_score_``), as in
        :class:`~sklearn.neural_network.MLPClassifier`.

    validation_scores_ : list of float or None
        Validation accuracy of every epoch with ``early_stopping``, else None.

    best_validation_score_ : float or None
        Best validation accuracy with ``early_stopping``, else None.

    n_iter_ : int
        Number of epochs run.

    t_ : int
        Number of training samples seen.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units (``n_classes``).

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit. Defined only when X has feature
        names that are all strings.

    See Also
    --------
    paper_hyperparameters : The paper's three MNIST networks.
    sklearn.neural_network.MLPClassifier : The same network trained by backpropagation.

    Notes
    -----
    The energy is ``E = 1/2 sum ||s_k||^2 - sum rho(s_k)^T W_k rho(s_{k+1}) -
    sum b_k^T rho(s_k)`` over the relaxing layers. With ``output="energy"``
    training minimises ``C = 1/2 ||y - d||^2`` with ``d`` the one-hot target;
    with ``output="readout"``, the cross-entropy of the softmax readout.

    References
    ----------
    B. Scellier and Y. Bengio, "Equilibrium Propagation: Bridging the Gap
    between Energy-Based Models and Backpropagation", Frontiers in
    Computational Neuroscience 11:24, 2017.

    A. Laborieux et al., "Scaling Equilibrium Propagation to Deep ConvNets by
    Drastically Reducing its Gradient Estimator Bias", Frontiers in
    Neuroscience 15:633674, 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sk_eqprop import EqPropClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = EqPropClassifier(random_state=0).fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.95
    True
    """

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
        learning_rate=0.01,
        learning_rate_schedule="constant",
        solver="adam",
        alpha="auto",
        batch_size="auto",
        max_iter=100,
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
            Training data (standardised by the estimator with the default
            ``input_scaling``).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multilabel
            classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the contrastive update (a weight of 2
            counts as the sample seen twice per epoch), the input
            standardisation and the initial output bias. None weighs all equally.

        Returns
        -------
        self : EqPropClassifier
            The fitted estimator.
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of Equilibrium Propagation on (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix.
        classes : array-like of shape (n_classes,), default=None
            All the classes that can appear in ``y`` (for an indicator matrix,
            ``np.arange(n_labels)``). Required on the first call, ignored
            afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the contrastive update, the input
            standardisation and the initial output bias.

        Returns
        -------
        self : EqPropClassifier
            The trained estimator.
        """
        return self._fit(
            X, y, incremental=True, sample_weight=sample_weight, classes=classes
        )

    def _check_partial_fit_classes(self, classes):
        if _check_partial_fit_first_call(self, classes) and len(self.classes_) < 2:
            raise ValueError(
                f"partial_fit needs at least two classes in `classes`, got {list(classes)!r}."
            )

    def _fit_target_coding(self, y, incremental, reset, sample_weight=None):
        if y.ndim == 2 and y.shape[1] == 1:  # a column of labels, as MLPClassifier
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind == "multiclass-multioutput":
            raise ValueError(
                "EqPropClassifier does not support multiclass-multioutput targets; use "
                "one column of labels, or a binary indicator matrix for multilabel data."
            )
        multilabel = kind == "multilabel-indicator"
        if reset:
            self._multilabel = multilabel
        elif multilabel != self._multilabel:
            raise ValueError(
                "y is a "
                + ("multilabel indicator matrix" if multilabel else "column of labels")
                + " but the estimator was trained on "
                + ("an indicator matrix" if self._multilabel else "a column of labels")
                + "; set warm_start=False to train a new network."
            )
        coding = LabelIndicatorCoding if multilabel else ClassCoding
        if reset and not incremental:
            self.classes_ = coding.classes_of(y)
        coding(self.classes_).check(y, incremental)
        return y

    def _target_coding(self):
        """How labels map onto the output units: one unit per class, or per label."""
        return (LabelIndicatorCoding if self._multilabel else ClassCoding)(self.classes_)

    def predict_proba(self, X):
        """Class probabilities at the free fixed point.

        With ``output="readout"`` these are the softmax readout's probabilities
        (for multilabel data, each label's logistic output). With
        ``output="energy"`` the output units live in [0, 1]: for single-label
        data each row is divided by its sum (a row whose units are all 0 becomes
        uniform), so its argmax is the prediction of :meth:`predict`; for
        multilabel data each unit's activity is its label's score (above 0.5
        predicts the label; squeezed into the open interval (0, 1) by a margin
        of 1e-6). Those are scores, not calibrated probabilities; wrap the
        estimator in :class:`~sklearn.calibration.CalibratedClassifierCV` if
        you need those.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Scores in [0, 1], columns ordered as ``classes_``; rows sum to 1
            for single-label data.
        """
        outputs = self._free_outputs(X).astype(np.float64)
        return self._target_coding().proba(outputs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

