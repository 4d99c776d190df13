"""The paper's hyperparameters and the rules that turn ``learning_rate`` into per-layer rates."""

from numbers import Real

import numpy as np

# Scellier & Bengio (2017), Section 5 and Table 1: one row per MNIST network.
# ``max_iter`` is the number of epochs run by the paper's reference code.
_PAPER_TABLE = {
    "784-500-10": dict(
        hidden_layer_sizes=(500,),
        n_iter_free=20,
        n_iter_nudged=4,
        epsilon=0.5,
        beta=1.0,
        learning_rate=(0.1, 0.05),
        max_iter=25,
    ),
    "784-500-500-10": dict(
        hidden_layer_sizes=(500, 500),
        n_iter_free=100,
        n_iter_nudged=6,
        epsilon=0.5,
        beta=1.0,
        learning_rate=(0.4, 0.1, 0.01),
        max_iter=60,
    ),
    "784-500-500-500-10": dict(
        hidden_layer_sizes=(500, 500, 500),
        n_iter_free=500,
        n_iter_nudged=8,
        epsilon=0.5,
        beta=1.0,
        learning_rate=(0.128, 0.032, 0.008, 0.002),
        max_iter=500,
    ),
}

PAPER_ARCHITECTURES = tuple(_PAPER_TABLE)


def paper_hyperparameters(architecture):
    """Constructor arguments of one of the paper's three MNIST networks.

    ``EqPropClassifier(**paper_hyperparameters("784-500-500-10"))`` is the
    paper's two-hidden-layer network: its hidden layer sizes, free and weakly
    clamped iteration counts, step size ``epsilon``, ``beta``, per-layer
    learning rates ``alpha_k`` (Table 1 of Scellier & Bengio, 2017), minibatch
    size 20 and the random sign of ``beta`` per minibatch, plus ``max_iter``,
    the number of epochs of the paper's reference code (25, 60 and 500).

    Parameters
    ----------
    architecture : {"784-500-10", "784-500-500-10", "784-500-500-500-10"}
        The network, named by its layer sizes.

    Returns
    -------
    params : dict
        Keyword arguments for :class:`~sk_eqprop.EqPropClassifier`.

    Notes
    -----
    The paper's published reference code differs from its text in a few
    places; this function follows the text (Table 1). The code used
    ``beta = 0.5`` for every network, 150 free-phase iterations for the
    two-hidden-layer network, and the cost ``||y - d||^2`` without the factor
    1/2 (equivalent to doubling ``beta`` in the nudged dynamics). To run the
    code's settings instead, update the returned dict, e.g.
    ``{**paper_hyperparameters("784-500-500-10"), "beta": 0.5, "n_iter_free": 150}``.

    Examples
    --------
    >>> from sk_eqprop import paper_hyperparameters
    >>> paper_hyperparameters("784-500-10")["learning_rate"]
    (0.1, 0.05)
    """
    try:
        row = _PAPER_TABLE[architecture]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown architecture {architecture!r}; expected one of {list(PAPER_ARCHITECTURES)}."
        ) from None
    return dict(row, batch_size=20, nudging="random_sign")


def default_learning_rates(n_weight_layers):
    """Per-layer learning rates used when ``learning_rate="auto"``.

    For one, two and three hidden layers (2, 3 and 4 weight layers) these are
    the paper's ``alpha_k``. For deeper networks the three-hidden-layer
    pattern continues: ``alpha_k = 0.128 / 4**k`` for weight layer ``k = 0, 1, ...``
    counted from the input (each layer learns four times slower than the one
    below it, which compensates the gradient's decay towards the input).
    """
    for row in _PAPER_TABLE.values():
        if len(row["learning_rate"]) == n_weight_layers:
            return row["learning_rate"]
    return tuple(0.128 / 4.0**k for k in range(n_weight_layers))


def resolve_learning_rates(learning_rate, n_weight_layers):
    """Turn the ``learning_rate`` parameter into one rate per weight layer.

    Raises
    ------
    ValueError
        If a sequence has the wrong length or a rate is not a positive finite number.
    """
    if isinstance(learning_rate, str):  # "auto", checked by the parameter constraints
        return default_learning_rates(n_weight_layers)
    if isinstance(learning_rate, Real):
        rates = (float(learning_rate),) * n_weight_layers
    else:
        rates = tuple(np.asarray(learning_rate, dtype=object).ravel())
        if len(rates) != n_weight_layers:
            raise ValueError(
                f"learning_rate has {len(rates)} entries but the network has "
                f"{n_weight_layers} weight layers (one per hidden layer plus the "
                f"output layer); pass {n_weight_layers} rates, one float, or 'auto'."
            )
    for rate in rates:
        if not isinstance(rate, Real) or not np.isfinite(rate) or rate <= 0:
            raise ValueError(
                f"Every learning rate must be a positive finite number, got {learning_rate!r}."
            )
    return tuple(float(r) for r in rates)
