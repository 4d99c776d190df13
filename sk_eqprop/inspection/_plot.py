"""Displays of training curves and of the relaxation of an EqProp network.

They follow scikit-learn's Display pattern: ``from_estimator`` computes what
is plotted and calls ``plot``, which draws on a Matplotlib ``Axes`` and stores
the artists. Matplotlib is imported inside ``plot`` only.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

from .._base import training_settings
from .._core import cost, readout_loss, readout_outputs, relax, split_states, total_energy, zero_states
from .._core import energy as energy_of
from ._alignment import _network_inputs, _unwrap


def _estimator_name(estimator):
    return type(estimator).__name__


class LossCurveDisplay:
    """Training loss and error rates of a fitted estimator against epochs.

    The loss is drawn on the left axis; the training error and the
    validation error (``1 - validation score``), where the estimator recorded
    them, on a twin axis at the right. It is recommended to create a display
    with :meth:`from_estimator`; all parameters are stored as attributes.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss after each epoch (``loss_curve_``).

    train_error_curve : array-like of shape (n_epochs,), default=None
        Training error of each epoch (``train_error_curve_``), or None.

    validation_error_curve : array-like of shape (n_epochs,), default=None
        ``1 - validation_scores_`` of each epoch, or None.

    error_is_rate : bool, default=True
        Whether the errors are fractions of misclassified samples (drawn as
        percentages) rather than ``1 - R^2`` of a regressor.

    estimator_name : str, default=None
        Name used in the legend.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the loss curve.

    error_ax_ : matplotlib Axes or None
        Twin axes with the error curves, None if there are none.

    figure_ : matplotlib Figure
        Figure containing the curves.

    lines_ : list of matplotlib Line2D
        The loss curve, then the training and validation error curves that
        exist, in that order.

    See Also
    --------
    RelaxationDisplay : Energy of the network while it relaxes.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_digits
    >>> from sk_eqprop import EqPropClassifier
    >>> from sk_eqprop.inspection import LossCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = EqPropClassifier(output="energy", hidden_layer_sizes=(16,), max_iter=3,
    ...                        random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     clf = clf.fit(X[:300] / 16, y[:300])
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> [len(line.get_xdata()) for line in display.lines_]
    [3, 3]
    >>> import matplotlib.pyplot as plt
    >>> plt.close(display.figure_)
    """

    def __init__(
        self,
        *,
        loss_curve,
        train_error_curve=None,
        validation_error_curve=None,
        error_is_rate=True,
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.train_error_curve = train_error_curve
        self.validation_error_curve = validation_error_curve
        self.error_is_rate = error_is_rate
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None):
        """Plot the training curves recorded by a fitted estimator.

        Parameters
        ----------
        estimator : fitted estimator or Pipeline ending with one
            An estimator with a ``loss_curve_`` attribute (EqProp estimators,
            scikit-learn's MLPs). Its ``train_error_curve_`` and
            ``validation_scores_`` are drawn where they exist and are not None.

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.

        name : str, default=None
            Name in the legend; by default the estimator's class name.

        Returns
        -------
        display : LossCurveDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        estimator = _unwrap_curves(estimator)
        classifier = is_classifier(estimator)
        train_error = getattr(estimator, "train_error_curve_", None)
        scores = getattr(estimator, "validation_scores_", None)
        validation_error = None if scores is None else 1.0 - np.asarray(scores, dtype=float)
        display = cls(
            loss_curve=np.asarray(estimator.loss_curve_, dtype=float),
            train_error_curve=None if train_error is None else np.asarray(train_error, float),
            validation_error_curve=validation_error,
            error_is_rate=classifier,
            estimator_name=_estimator_name(estimator),
        )
        return display.plot(ax=ax, name=name)

    def plot(self, ax=None, *, name=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw the loss on (the errors go on its twin); a new figure
            is created if None.

        name : str, default=None
            Name in the legend; by default ``estimator_name``.

        Returns
        -------
        display : LossCurveDisplay
            Object that stores the drawn artists.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator, PercentFormatter

        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        prefix = f"{name}: " if name else ""
        loss = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, len(loss) + 1)
        marker = "o" if len(loss) <= 30 else None
        self.lines_ = ax.plot(
            epochs, loss, color="C0", marker=marker, label=f"{prefix}training loss"
        )
        ax.set_xlabel("Epoch")
        ax.set_ylabel("Training loss", color="C0")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))

        validation_label = "validation error" if self.error_is_rate else "1 - validation R²"
        errors = [
            (self.train_error_curve, "training error", "C1", "--"),
            (self.validation_error_curve, validation_label, "C2", "-."),
        ]
        errors = [e for e in errors if e[0] is not None]
        self.error_ax_ = None
        if errors:
            self.error_ax_ = ax.twinx()
            for curve, label, color, style in errors:
                curve = np.asarray(curve, dtype=float)
                self.lines_ += self.error_ax_.plot(
                    np.arange(1, len(curve) + 1),
                    curve,
                    color=color,
                    linestyle=style,
                    marker=marker,
                    label=f"{prefix}{label}",
                )
            if self.error_is_rate:
                self.error_ax_.set_ylabel("Error rate")
                self.error_ax_.yaxis.set_major_formatter(PercentFormatter(xmax=1))
            else:
                self.error_ax_.set_ylabel("1 - R²")
        ax.legend(handles=self.lines_, loc="upper right")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


def _unwrap_curves(estimator):
    """The last step of a pipeline, checked to be fitted and to record a loss per epoch."""
    if hasattr(estimator, "steps"):
        estimator = estimator[-1]
    check_is_fitted(estimator)
    if getattr(estimator, "loss_curve_", None) is None:
        raise ValueError(
            f"This {_estimator_name(estimator)} has no loss_curve_: it does not record "
            "a training loss per epoch."
        )
    return estimator


class RelaxationDisplay:
    """Mean energy of a network while it relaxes: the free phase, then the nudged phase.

    In the free phase the network descends its energy ``E`` from zero states
    towards a fixed point; in the nudged (weakly clamped) phase it descends
    the total energy ``F = E + beta C`` from the free fixed point (paper,
    Eq. 4), so ``F`` jumps by ``beta C`` where the nudge is switched on. It is
    recommended to create a display with :meth:`from_estimator`; all
    parameters are stored as attributes.

    Parameters
    ----------
    free_energy : array-like of shape (n_free_steps + 1,)
        Mean energy ``E`` at zero states and after each free-phase step.

    nudged_energy : array-like of shape (n_nudged_steps + 1,), default=None
        Mean total energy ``F`` at the free fixed point and after each
        nudged-phase step, or None if no nudged phase was run.

    free_activity : array-like of shape (n_free_steps + 1, n_free_layers), default=None
        Mean state of the units of each free layer (hidden layers, then the
        output layer) at each free-phase step, or None.

    nudged_activity : array-like of shape (n_nudged_steps + 1, n_free_layers), default=None
        The same during the nudged phase, or None.

    free_cost : array-like of shape (n_free_steps + 1,), default=None
        Mean cost ``C`` of the outputs during the free phase (when targets
        were given), or None. Not drawn.

    nudged_cost : array-like of shape (n_nudged_steps + 1,), default=None
        Mean cost ``C`` during the nudged phase, or None. Not drawn.

    beta : float, default=None
        Nudging strength of the nudged phase.

    step_name : str, default="step"
        What one iteration of the dynamics is called on the x axis (``"step"``
        for the gradient dynamics, ``"sweep"`` for layerwise relaxation).

    estimator_name : str, default=None
        Name used in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the energy curves.

    activity_ax_ : matplotlib Axes or None
        Axes with the mean activity of each layer, None if not drawn.

    figure_ : matplotlib Figure
        Figure containing the curves.

    lines_ : list of matplotlib Line2D
        The free-phase energy curve, then the nudged-phase one if any.

    activity_lines_ : list of matplotlib Line2D
        One curve per free layer (free and nudged phases joined), empty if
        activities are not drawn.

    boundary_ : matplotlib Line2D or None
        Vertical line where the nudge is switched on.

    See Also
    --------
    LossCurveDisplay : Training curves against epochs.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_digits
    >>> from sk_eqprop import EqPropClassifier
    >>> from sk_eqprop.inspection import RelaxationDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:300], y[:300]
    >>> clf = EqPropClassifier(hidden_layer_sizes=(16, 16), max_iter=3, random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     clf = clf.fit(X, y)
    >>> display = RelaxationDisplay.from_estimator(clf, X[:20], y[:20])
    >>> display.free_energy.shape, display.nudged_energy.shape
    ((101,), (9,))
    >>> import matplotlib.pyplot as plt
    >>> plt.close(display.figure_)
    """

    def __init__(
        self,
        *,
        free_energy,
        nudged_energy=None,
        free_activity=None,
        nudged_activity=None,
        free_cost=None,
        nudged_cost=None,
        beta=None,
        step_name="step",
        estimator_name=None,
        output="energy",
    ):
        self.free_energy = free_energy
        self.nudged_energy = nudged_energy
        self.free_activity = free_activity
        self.nudged_activity = nudged_activity
        self.free_cost = free_cost
        self.nudged_cost = nudged_cost
        self.beta = beta
        self.step_name = step_name
        self.estimator_name = estimator_name
        self.output = output

    @classmethod
    def from_estimator(
        cls, estimator, X, y=None, *, beta=None, n_iter=None, states=False, ax=None, name=None
    ):
        """Relax a fitted network on ``X`` step by step and plot its mean energy.

        The free phase starts from zero states, as in prediction, and uses the
        estimator's ``relaxation``, ``epsilon`` and ``relax_tol`` (a sample
        that has settled stops moving). If ``y`` is given, a nudged phase at
        ``beta`` follows from the free fixed point. With a readout outside the
        energy (``output="readout"``) the curves show the hidden layers' energy
        ``E`` and ``F = E + beta L`` with the readout's loss ``L``. The computation runs in
        float64 on copies of the parameters; the estimator is not modified.

        Parameters
        ----------
        estimator : fitted EqProp estimator or Pipeline ending with one
            The network (``X`` is transformed by the pipeline's other steps).

        X : array-like of shape (n_samples, n_features)
            Samples to relax; the energy is averaged over them.

        y : array-like of shape (n_samples,), default=None
            Targets of the nudged phase (class labels for a classifier). No
            nudged phase if None.

        beta : float, default=None
            Nudging strength; None uses the estimator's ``beta_``.

        n_iter : int or (int, int), default=None
            Number of free-phase steps, or of free and nudged steps. None uses
            the estimator's caps: ``n_iter_free``, and ``n_iter_nudged`` (the cap of
            ``"auto"`` for the estimator's depth). A sample stops earlier once it
            settles: ``relax_tol`` in the free phase, and in the nudged phase
            ``relax_tol`` or, with ``n_iter_nudged="auto"``, ``relax_tol * beta``.

        states : bool, default=False
            Also record and draw the mean activity of each free layer.

        ax : matplotlib Axes, or sequence of two Axes if ``states``, default=None
            Where to draw; a new figure is created if None.

        name : str, default=None
            Name in the title; by default the estimator's class name.

        Returns
        -------
        display : RelaxationDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        estimator, X = _unwrap(estimator, X)
        X, weights, biases, target, readout = _network_inputs(estimator, X, y)
        beta = float(estimator.beta_ if beta is None else beta)
        budget = training_settings(estimator, beta=beta)
        auto_nudged, nudged_tol = budget.n_iter_nudged, budget.nudged_tol
        if n_iter is None:
            n_free, n_nudged = estimator.n_iter_free, auto_nudged
        elif np.ndim(n_iter) == 0:
            n_free, n_nudged = n_iter, auto_nudged
        else:
            n_free, n_nudged = n_iter
        settings = dict(
            weights=weights,
            biases=biases,
            method=estimator.relaxation,
            epsilon=estimator.epsilon,
            readout=readout,
        )
        x_drive = X @ weights[0]
        states_ = zero_states(X.shape[0], weights)
        free = _trace(X, x_drive, states_, int(n_free), 0.0, target,
                      tol=estimator.relax_tol, **settings)
        nudged = None
        if target is not None:
            nudged = _trace(X, x_drive, states_, int(n_nudged), beta, target, tol=nudged_tol,
                            **settings)
        display = cls(
            free_energy=free["energy"],
            nudged_energy=None if nudged is None else nudged["energy"],
            free_activity=free["activity"] if states else None,
            nudged_activity=nudged["activity"] if states and nudged is not None else None,
            free_cost=free["cost"],
            nudged_cost=None if nudged is None else nudged["cost"],
            beta=beta if nudged is not None else None,
            step_name="sweep" if estimator.relaxation == "layerwise" else "step",
            estimator_name=_estimator_name(estimator),
            output=estimator.output,
        )
        return display.plot(ax=ax, name=name)

    def plot(self, ax=None, *, name=None):
        """Draw the energy curves, and the layer activities if recorded.

        Parameters
        ----------
        ax : matplotlib Axes, or sequence of two Axes, default=None
            Where to draw. With activities (``free_activity`` not None) two
            Axes are needed: the energy goes on the first and the activities
            on the second. A new figure is created if None.

        name : str, default=None
            Name in the title; by default ``estimator_name``.

        Returns
        -------
        display : RelaxationDisplay
            Object that stores the drawn artists.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        with_activity = self.free_activity is not None
        if ax is None:
            if with_activity:
                _, (ax, activity_ax) = plt.subplots(
                    2, 1, sharex=True, figsize=(6.4, 6.4), layout="constrained"
                )
            else:
                _, ax = plt.subplots(layout="constrained")
                activity_ax = None
        elif with_activity:
            axes = list(np.ravel(ax)) if not hasattr(ax, "plot") else [ax]
            if len(axes) != 2:
                raise ValueError(
                    "RelaxationDisplay with layer activities draws on two Axes; pass "
                    "ax=(energy_ax, activity_ax), or ax=None."
                )
            ax, activity_ax = axes
        else:
            activity_ax = None

        free = np.asarray(self.free_energy, dtype=float)
        n_free = len(free) - 1
        free_steps = np.arange(n_free + 1)
        self.lines_ = ax.plot(free_steps, free, color="C0", label="free phase: E")
        self.boundary_ = None
        if self.nudged_energy is not None:
            nudged = np.asarray(self.nudged_energy, dtype=float)
            nudged_steps = np.arange(n_free, n_free + len(nudged))
            self.lines_ += ax.plot(
                nudged_steps,
                nudged,
                color="C3",
                label=f"nudged phase: F = E + β{'C' if self.output == 'energy' else 'L'} "
                f"(β = {self.beta:g})",
            )
            self.boundary_ = ax.axvline(n_free, color="0.5", linestyle=":", linewidth=1)
            ax.annotate(
                "nudge on",
                xy=(n_free, 0.5),
                xycoords=ax.get_xaxis_transform(),
                xytext=(-2, 0),
                textcoords="offset points",
                rotation=90,
                ha="right",
                va="center",
                color="0.4",
                fontsize="small",
            )
        ax.set_ylabel("Mean energy per sample")
        ax.legend(loc="upper right")
        name = self.estimator_name if name is None else name
        title = "Relaxation from zero states"
        ax.set_title(f"{name}: {title.lower()}" if name else title)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))

        self.activity_lines_ = []
        self.activity_ax_ = activity_ax
        bottom = ax
        if activity_ax is not None:
            activity = np.asarray(self.free_activity, dtype=float)
            steps = free_steps
            if self.nudged_activity is not None:
                # The first nudged row is the free fixed point, already drawn.
                activity = np.vstack([activity, np.asarray(self.nudged_activity)[1:]])
                steps = np.arange(len(activity))
            n_layers = activity.shape[1]
            for k in range(n_layers):
                is_output = k == n_layers - 1 and self.output == "energy"
                label = "output layer" if is_output else f"hidden layer {k + 1}"
                self.activity_lines_ += activity_ax.plot(steps, activity[:, k], label=label)
            if self.nudged_energy is not None:
                activity_ax.axvline(n_free, color="0.5", linestyle=":", linewidth=1)
            activity_ax.set_ylabel("Mean unit activity")
            activity_ax.legend(loc="best")
            bottom = activity_ax
        bottom.set_xlabel(f"Relaxation {self.step_name}")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


def _trace(x, x_drive, states, n_iter, beta, target, *, weights, biases, method, epsilon, tol,
           readout=None):
    """Relax ``states`` in place; record mean F, C and layer activities after every step.

    With a readout outside the energy, ``F = E + beta L`` and ``C`` is the readout's
    loss ``L`` of the last hidden layer.
    """
    nudge_target = target if beta != 0.0 else None
    energy, activity, costs = [], [], []

    def sample_costs():
        last = split_states(states, weights)[-1]
        if readout is None:
            return cost(last, target)
        weight, bias, link = readout
        return readout_loss(readout_outputs(last, weight, bias, link), target, link)

    def record():
        if readout is None:
            f = total_energy(x, states, weights, biases, beta, nudge_target)
        else:
            f = energy_of(x, states, weights, biases)
            if nudge_target is not None:
                f = f + beta * sample_costs()
        energy.append(float(f.mean()))
        activity.append([float(layer.mean()) for layer in split_states(states, weights)])
        if target is not None:
            costs.append(float(sample_costs().mean()))

    record()
    # The estimator's per-sample stopping rule (relax's own loop); once every sample
    # has settled the states stay put, and the records repeat.
    relax(x_drive, states, weights, biases, n_iter, method=method, epsilon=epsilon, beta=beta,
          target=nudge_target, readout=readout, tol=tol, on_step=lambda _: record())
    for _ in range(n_iter + 1 - len(energy)):
        record()
    return {
        "energy": np.array(energy),
        "activity": np.array(activity),
        "cost": np.array(costs) if target is not None else None,
    }
