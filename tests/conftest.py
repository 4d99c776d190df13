"""Shared test configuration: deterministic property tests."""

from hypothesis import settings

from sk_eqprop._hyperparameters import _PAPER_NETWORK

# Property tests draw the same examples on every run: the suite is deterministic.
settings.register_profile("deterministic", derandomize=True, deadline=None, database=None)
settings.load_profile("deterministic")


# The paper's network and training rule (output units in the energy, input as given,
# plain steps, Eq. 43 for fixed iteration counts, persistent particles, Glorot weights,
# minibatches of 20, random sign of beta = 1, 4 nudged steps): the settings many tests were written for,
# where the estimators' defaults are chosen for everyday data.
PAPER_NETWORK = dict(
    _PAPER_NETWORK,  # output, input scaling, solver, relaxation, particles, penalty, init
    learning_rate="auto",
    nudging="random_sign",
    beta=1.0,
    n_iter_nudged=4,
    batch_size=20,
)


def paper_network(**params):
    """Constructor arguments: the paper's network, with ``params`` on top."""
    return {**PAPER_NETWORK, **params}
