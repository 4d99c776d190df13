"""Shared test configuration: deterministic property tests."""

from hypothesis import settings

# Property tests draw the same examples on every run: the suite is deterministic.
settings.register_profile("deterministic", derandomize=True, deadline=None, database=None)
settings.load_profile("deterministic")



# The paper's network and training rule (output units in the energy, input as given,
# plain steps, Eq. 43 for fixed iteration counts, persistent particles, Glorot weights,
# minibatches of 20, random sign of beta = 1): the settings many tests were written for,
# where the estimators' defaults are chosen for everyday data.
PAPER_NETWORK = dict(
    output="energy",
    input_scaling=None,
    solver="sgd",
    learning_rate="auto",
    alpha=0.0,
    relaxation="gradient",
    relax_tol=None,
    nudging="random_sign",
    beta=1.0,
    batch_size=20,
    init_gain=1.0,
    persistent_particles=True,
)


def paper_network(**params):
    """Constructor arguments: the paper's network, with ``params`` on top."""
    return {**PAPER_NETWORK, **params}
