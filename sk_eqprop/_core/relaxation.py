"""Relaxation of the free layers towards a fixed point of the total energy ``F``.

Two dynamics:

``"gradient"``
    the paper's discretised gradient dynamics (Eq. 43): every layer takes a
    step of size ``epsilon`` along ``-dF/ds`` at once, then is clipped to [0, 1].
``"layerwise"``
    exact block-coordinate minimisation of ``F``. Given its two neighbours a
    layer's energy is separable in its units, so its minimiser on [0, 1] is
    closed-form: ``clip(drive, 0, 1)``. The nudged output in the energy has
    curvature ``1 + beta``: for ``1 + beta > 0`` its minimiser is
    ``clip((drive + beta d) / (1 + beta), 0, 1)``; for ``1 + beta <= 0`` ``F``
    is concave in it and the minimiser is 0 or 1 (1 where
    ``drive + beta d > (1 + beta) / 2``). Layers of the same parity do not
    interact, so one sweep sets every even layer and then every odd layer. A
    sweep over layers of the energy cannot increase ``F``; the nudged step of a
    readout's last hidden layer minimises a linearisation of ``F`` (below), which
    cannot increase ``F`` where it is damped.

Both have the same fixed points where ``F`` is convex in every layer's units:
always for hidden layers, and for an output in the energy when
``1 + beta > 0``. With a readout outside the energy, the layerwise step of the
last hidden layer is ``clip(h - dF/dh / (1 + c), 0, 1)`` (the readout's nudge
linearised, damped by ``c`` where its curvature could make it oscillate:
:func:`readout_damping`), whose fixed points are those of the gradient dynamics
for any ``beta``. For ``beta <= -1`` (the ``-beta`` phase of a random or symmetric
sign with ``beta >= 1``) they may part: the gradient dynamics can stop with an
output unit at a local minimum, 0 or 1, that the layerwise step leaves for the
lower of the two. With one input ``x = 1``, one hidden unit ``h``, one output
``y``, ``W_0 = 2``, ``W_1 = 1.8``, zero biases, ``d = 1`` and ``beta = -2``,
the gradient dynamics stay at ``(h, y) = (1, 0)`` (``F = -2.5``), which the
layerwise sweep leaves for ``y = 1`` (``F = -2.8``).

Both work in place on one states array (see :mod:`.layout`); the setup of a
relaxation (constant drives, scaled weights, buffers) is done once per call,
and the inner loop allocates nothing.
"""

import numpy as np

from .layout import layer_slices
from .readout import loss_scale, readout_outputs
from .workspace import take

RELAXATIONS = ("gradient", "layerwise")

# An upper bound on the largest eigenvalue of the Hessian of each readout's loss in
# its logits: diag(p) - p p^T (softmax), diag(p (1 - p)) (logistic), I (identity).
READOUT_CURVATURE = {"softmax": 0.5, "logistic": 0.25, "identity": 1.0}


def _as_beta(beta, states):
    """``beta`` as a float, or as a column ``(n_samples, 1)`` of the states' dtype."""
    if np.ndim(beta) == 0:
        return float(beta)
    beta = np.asarray(beta, dtype=states.dtype).reshape(-1, 1)
    if beta.shape[0] != states.shape[0]:
        raise ValueError(
            f"beta has {beta.shape[0]} entries but there are {states.shape[0]} samples."
        )
    return beta


class _Stepper:
    """Preallocated buffers and constants of one relaxation of one batch."""

    def __init__(
        self, x_drive, states, weights, biases, beta, target, readout=None, workspace=None
    ):
        self.states = states
        # rho's bounds as 0-d arrays of the states' dtype: ``ndarray.clip`` with them
        # costs about 0.4 us more per call than NumPy's private clip ufunc, where
        # Python floats cost about 1.5 us more (and np.maximum/np.minimum 4-6x).
        self.low, self.high = np.zeros((), states.dtype), np.ones((), states.dtype)
        self.weights = weights
        self.slices = layer_slices(weights)
        self.layers = [states[:, cols] for cols in self.slices]
        # A float, or a column of one beta per sample (shape (n_samples, 1)).
        self.beta = _as_beta(beta, states)
        self.nudged = np.any(self.beta != 0.0)
        # Everything that stays constant during the relaxation: the input's drive
        # and the biases, plus the nudge ``beta * d`` of an output layer in the energy.
        self.const = take(workspace, "step.const", states.shape, states.dtype)
        np.add(x_drive, biases[0], out=self.const[:, self.slices[0]])
        for cols, b in zip(self.slices[1:], biases[1:]):
            self.const[:, cols] = b
        # With a readout outside the energy the last free layer is the last hidden
        # layer, and the nudge ``beta (d - p(h)) W_out^T`` depends on the state.
        self.readout = readout if self.nudged else None
        if self.readout is not None:
            self.target = target
            self.readout_buffer = take(
                workspace, "step.readout", (states.shape[0], target.shape[1]), states.dtype
            )
            self.force = take(workspace, "step.force", self.layers[-1].shape, states.dtype)
            self.damping = readout_damping(self.beta, readout[0], readout[2], target.shape[1])
            if self.damping:  # the damping term c h_0, without a temporary per sweep
                self.damped = take(workspace, "step.damped", self.layers[-1].shape, states.dtype)
        elif self.nudged:
            self.const[:, self.slices[-1]] += self.beta * target
        n_free = len(self.layers)
        # Middle layers get a drive from below and from above: the top-down product
        # lands here before it is added.
        self.top_down = [
            take(workspace, f"step.top_down{k}", s.shape, s.dtype) if 0 < k < n_free - 1 else None
            for k, s in enumerate(self.layers)
        ]

    def drive_into(self, k, out, weights, sources):
        """``out <- sources[k-1] W_k + sources[k+1] W_{k+1}^T`` (the neighbours' input to layer k)."""
        n_free = len(sources)
        if k > 0:
            np.matmul(sources[k - 1], weights[k], out=out)
        if k + 1 < n_free:
            top_down = self.top_down[k] if k > 0 else out
            np.matmul(sources[k + 1], weights[k + 1].T, out=top_down)
            if k > 0:
                out += top_down
        elif k == 0:
            out.fill(0.0)

    def readout_force(self, scale=1.0):
        """``scale * beta (d - p) W_out^T`` at the current last layer, into ``self.force``."""
        weight, bias, link = self.readout
        p = readout_outputs(self.layers[-1], weight, bias, link, out=self.readout_buffer)
        np.subtract(self.target, p, out=p)
        scale *= loss_scale(link, p.shape[1])
        p *= self.beta if scale == 1.0 else scale * self.beta
        return np.matmul(p, weight.T, out=self.force)


def readout_damping(beta, weight_out, link, n_outputs):
    """The damping ``c`` of the readout's layerwise step (0 where none is needed).

    The step of the last hidden layer minimises the layer's energy with the
    readout's loss linearised at the current state ``h_0``, plus ``c/2 ||h - h_0||^2``:
    ``h <- clip((drive + beta (d - p(h_0)) W_out^T + c h_0) / (1 + c), 0, 1)``. The
    loss's curvature in ``h`` is at most ``lambda = beta k ||W_out||_2^2`` (``k``: 1/2
    for softmax, 1/4 times the loss's scale for logistic, 1 for identity;
    ``||W_out||_2^2`` is the largest eigenvalue of the small matrix ``W_out^T W_out``,
    one per output). For
    ``lambda < 1`` the undamped step (``c = 0``) is a contraction; otherwise
    ``c = lambda`` makes it a majorise-minimise step, which never increases ``F`` and
    is a contraction too (factor ``c / (1 + c)``). Either way the step settles
    instead of oscillating.
    """
    curvature = READOUT_CURVATURE[link] * loss_scale(link, n_outputs)
    gram = weight_out.T @ weight_out
    if not np.isfinite(gram).all():  # diverged weights: the fit loop reports them
        return 0.0
    lam = float(np.max(np.abs(beta))) * curvature * float(np.linalg.eigvalsh(gram)[-1])
    return lam if lam >= 1.0 else 0.0


class _GradientStepper(_Stepper):
    """One step of Eq. 43 for every layer at once."""

    def __init__(
        self, x_drive, states, weights, biases, beta, target, epsilon, readout=None,
        workspace=None,
    ):
        super().__init__(x_drive, states, weights, biases, beta, target, readout, workspace)
        eps = float(epsilon)
        self.epsilon = eps
        # s <- clip(s - eps dF/ds) = clip((1 - eps) s + eps drive) for hidden layers, and
        # y <- clip((1 - eps - eps beta) y + eps (drive + beta d)) for the output layer.
        self.const *= eps
        self.decay = 1.0 - eps
        if self.nudged and self.readout is None:
            # One row of decays, or one per sample when beta varies across samples.
            rows = 1 if np.ndim(self.beta) == 0 else states.shape[0]
            self.decay = np.full((rows, states.shape[1]), 1.0 - eps, dtype=states.dtype)
            self.decay[:, self.slices[-1]] = 1.0 - eps - eps * self.beta
        self.scaled_weights = [None] + [
            np.multiply(W, eps, out=take(workspace, f"step.scaled{k}", W.shape, W.dtype))
            for k, W in enumerate(weights[1:], start=1)
        ]
        self.drive = take(workspace, "step.drive", states.shape, states.dtype)
        self.drive_layers = [self.drive[:, cols] for cols in self.slices]

    def __call__(self):
        # All drives first, from the current states: the layers move simultaneously.
        for k, out in enumerate(self.drive_layers):
            self.drive_into(k, out, self.scaled_weights, self.layers)
        if self.readout is not None:
            self.drive_layers[-1] += self.readout_force(self.epsilon)
        self.drive += self.const
        self.states *= self.decay
        self.states += self.drive
        self.states.clip(self.low, self.high, out=self.states)


class _LayerwiseStepper(_Stepper):
    """One sweep of exact block-coordinate descent: even layers, then odd layers."""

    def __init__(
        self, x_drive, states, weights, biases, beta, target, readout=None, workspace=None
    ):
        super().__init__(x_drive, states, weights, biases, beta, target, readout, workspace)
        n_free = len(self.layers)
        # Free layer k (0-based) is layer k + 1 of the network; the input is layer 0.
        self.order = [k for k in range(n_free) if k % 2 == 1] + [
            k for k in range(n_free) if k % 2 == 0
        ]
        curvature = 1.0 + self.beta  # of F in each output unit
        self.concave = curvature <= 0  # per sample when beta is per sample
        scale = 1.0 / np.where(self.concave, 1.0, curvature)
        # A Python float for one beta (NumPy then keeps the states' dtype), else a column.
        self.output_scale = scale.astype(states.dtype) if np.ndim(scale) else float(scale)

    def __call__(self):
        last = len(self.layers) - 1
        for k in self.order:
            out = self.layers[k]  # no layer drives itself: write its minimiser in place
            if k == last and self.readout is not None:
                # The readout's nudge, linearised at the current state: its minimiser
                # for the quadratic energy plus the nudge's first-order term.
                force = self.readout_force()
                if self.damping:  # see readout_damping: a step that provably settles
                    force += np.multiply(out, self.damping, out=self.damped)
                self.drive_into(k, out, self.weights, self.layers)
                out += self.const[:, self.slices[k]]
                out += force
                if self.damping:
                    out *= 1.0 / (1.0 + self.damping)
                out.clip(self.low, self.high, out=out)
                continue
            self.drive_into(k, out, self.weights, self.layers)
            out += self.const[:, self.slices[k]]
            if k == last and self.nudged:
                if np.any(self.concave):
                    # 1 + beta <= 0: F is concave in y, its minimum on [0, 1] is at 0 or 1,
                    # and F(1) - F(0) = (1 + beta) / 2 - (drive + beta d).
                    snapped = out > (1.0 + self.beta) / 2.0
                    out *= self.output_scale
                    out.clip(self.low, self.high, out=out)
                    np.copyto(out, snapped, where=self.concave)
                    continue
                out *= self.output_scale
            out.clip(self.low, self.high, out=out)


def relax(
    x_drive,
    states,
    weights,
    biases,
    n_iter,
    *,
    method="gradient",
    epsilon=0.5,
    beta=0.0,
    target=None,
    tol=None,
    return_unsettled=False,
    readout=None,
    workspace=None,
    on_step=None,
):
    """Relax with either dynamics, optionally stopping each sample once it has settled.

    Parameters
    ----------
    x_drive : ndarray of shape (n_samples, n_1)
        The constant drive of the clamped input, ``x @ W_0``, computed once per batch.
    states : ndarray of shape (n_samples, n_free_units)
        Free layers side by side, in ``[0, 1]``; **updated in place**.
    weights, biases : list of ndarray
        Network parameters (``weights[0]`` is not read: its effect is ``x_drive``).
    beta : float or ndarray of shape (n_samples,), default=0.0
        Influence parameter of the cost (nudging strength, any sign); an array
        gives each sample its own (e.g. the two phases of symmetric nudging,
        relaxed as one batch).
    target : ndarray of shape (n_samples, n_outputs), optional
        Target ``d`` of the output layer (or of the readout); required when
        ``beta != 0``.
    n_iter : int
        Maximum number of steps (gradient) or sweeps (layerwise) per sample.
    method : {"gradient", "layerwise"}, default="gradient"
        The dynamics.
    epsilon : float, default=0.5
        Step size of the gradient dynamics (unused by "layerwise").
    tol : float or None, default=None
        If given, a sample stops as soon as no unit of it moved by more than
        ``tol`` in its last step. The test is per sample and the remaining
        samples continue without it, so a sample's trajectory never depends on
        the other samples of the batch.

    readout : tuple (weight, bias, link) or None, default=None
        A readout layer outside the energy (:mod:`.readout`): ``weights`` and
        ``biases`` then describe the hidden layers only, and a nudge pulls the
        readout's outputs ``link(h_last weight + bias)`` towards ``target``.
    workspace : Workspace or None, default=None
        Where to take the relaxation's scratch arrays from (:mod:`.workspace`).
    return_unsettled : bool, default=False
        Also return which samples had not settled after ``n_iter`` steps.
    on_step : callable or None, default=None
        Called as ``on_step(states)`` after every step, with ``states`` holding every
        sample's current state (a settled sample's stays put): for tracing a
        relaxation step by step (:class:`~sk_eqprop.inspection.RelaxationDisplay`).

    Returns
    -------
    n_steps : ndarray of shape (n_samples,)
        Steps taken by each sample.
    unsettled : ndarray of bool, shape (n_samples,)
        Only with ``return_unsettled``: the samples whose last step still moved a
        unit by more than ``tol`` (every sample when ``tol`` is None).
    """
    n_samples = states.shape[0]

    def make_stepper(x_sub, states_sub, target_sub, beta_sub):
        if method == "gradient":
            return _GradientStepper(
                x_sub, states_sub, weights, biases, beta_sub, target_sub, epsilon, readout,
                workspace,
            )
        if method == "layerwise":
            return _LayerwiseStepper(
                x_sub, states_sub, weights, biases, beta_sub, target_sub, readout, workspace
            )
        raise ValueError(f"Unknown relaxation {method!r}; expected one of {RELAXATIONS}.")

    if (method == "layerwise" and len(weights) == 1 and on_step is None
            and (readout is None or np.all(beta == 0))):
        # A single free layer with no layer above it: one sweep sets it to its exact
        # minimiser, which no further sweep moves (a readout's nudge would, as it
        # depends on the layer itself).
        make_stepper(x_drive, states, target, beta)()
        n_steps = np.ones(n_samples, dtype=np.int64)
        return (n_steps, np.zeros(n_samples, dtype=bool)) if return_unsettled else n_steps

    if tol is None:
        step = make_stepper(x_drive, states, target, beta)
        for _ in range(n_iter):
            step()
            if on_step is not None:
                on_step(states)
        n_steps = np.full(n_samples, n_iter)
        return (n_steps, np.ones(n_samples, dtype=bool)) if return_unsettled else n_steps

    # The samples are relaxed in a working copy. A sample that settles is written back
    # to ``states`` at once; its row of the copy may go on moving but is never read
    # again. The copy shrinks to its moving rows only once at most half of them move:
    # a matrix product of 10 rows costs about 0.8 of one of 20 (the weights dominate),
    # far less than rebuilding the relaxation's buffers after every settled sample.
    n_steps = np.zeros(n_samples, dtype=np.int64)
    rows = np.arange(n_samples)  # the sample of each row of the working copy
    moving = np.ones(n_samples, dtype=bool)
    beta_sub = _as_beta(beta, states)
    sub = take(workspace, "relax.working", states.shape, states.dtype)
    np.copyto(sub, states)
    x_sub, target_sub = x_drive, target
    step = make_stepper(x_sub, sub, target_sub, beta_sub)
    previous = take(workspace, "relax.previous", sub.shape, sub.dtype)
    for iteration in range(1, n_iter + 1):
        np.copyto(previous, sub)
        step()
        np.subtract(previous, sub, out=previous)
        settled = np.abs(previous, out=previous).max(axis=1) <= tol
        settled &= moving
        if on_step is not None:
            states[rows[moving]] = sub[moving]
            on_step(states)
        if not settled.any():
            continue
        n_steps[rows[settled]] = iteration
        states[rows[settled]] = sub[settled]
        moving &= ~settled
        n_moving = np.count_nonzero(moving)
        if n_moving == 0:
            return (n_steps, np.zeros(n_samples, dtype=bool)) if return_unsettled else n_steps
        if 2 * n_moving <= sub.shape[0]:
            # Continue with the samples that still move, in their own arrays.
            rows, sub, x_sub = rows[moving], sub[moving], x_sub[moving]
            target_sub = None if target_sub is None else target_sub[moving]
            if np.ndim(beta_sub):
                beta_sub = beta_sub[moving]
            moving = np.ones(n_moving, dtype=bool)
            step = make_stepper(x_sub, sub, target_sub, beta_sub)
            previous = take(workspace, "relax.previous", sub.shape, sub.dtype)
    states[rows[moving]] = sub[moving]
    n_steps[rows[moving]] = n_iter
    if return_unsettled:
        unsettled = np.zeros(n_samples, dtype=bool)
        unsettled[rows[moving]] = True
        return n_steps, unsettled
    return n_steps
