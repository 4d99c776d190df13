"""The JAX backend: whole chunks of minibatches compiled into one call.

An optional extra (``pip install "sk_eqprop[jax]"``): nothing here is imported
unless an estimator is fitted with ``backend="jax"``. The NumPy core
(:mod:`sk_eqprop._core`) is the reference; these modules compute the same
network with the same draws, and the tests hold them to it.

:mod:`.dynamics`
    the two relaxations, the readout's nudge and the per-sample tolerance, on
    JAX arrays (pure functions, traced into the compiled training step);
:mod:`.training`
    one minibatch of EqProp (free phase, nudged phase(s), update) scanned over a
    chunk of minibatches, and :class:`~.training.JaxEpochs`, which feeds it
    from the estimator's fit loop.
"""

INSTALL_HINT = (
    'backend="jax" needs JAX, an optional dependency of sk_eqprop: install it with '
    'pip install "sk_eqprop[jax]" (on an NVIDIA GPU: pip install "sk_eqprop[jax]" '
    '"jax[cuda12]"), or use backend="numpy".'
)


def import_jax():
    """The ``jax`` module, or an ImportError that names the extra to install."""
    try:
        import jax
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return jax
