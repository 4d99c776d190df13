"""Properties of the numerical core: the mathematics of the paper, checked numerically."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sk_eqprop._core import (
    SGD,
    contrastive_gradient,
    cost,
    energy,
    eqprop_direction,
    glorot_uniform,
    layer_drives,
    relax,
    split_states,
    total_energy,
    zero_states,
)

SIZES = [5, 7, 6, 3]  # a tiny two-hidden-layer network



def relax_gradient(x_drive, states, weights, biases, epsilon, n_iter, beta=0.0, target=None):
    """``n_iter`` steps of Eq. 43 in place; returns ``states``."""
    relax(x_drive, states, weights, biases, n_iter, method="gradient", epsilon=epsilon,
          beta=beta, target=target)
    return states


def relax_layerwise(x_drive, states, weights, biases, n_iter, beta=0.0, target=None):
    """``n_iter`` layerwise sweeps in place; returns ``states``."""
    relax(x_drive, states, weights, biases, n_iter, method="layerwise", beta=beta, target=target)
    return states

def tiny_problem(seed, sizes=SIZES, n_samples=4, bias_scale=0.3, gain=1.0):
    rng = np.random.default_rng(seed)
    weights, biases = glorot_uniform(sizes, rng, gain=gain)
    biases = [rng.uniform(-bias_scale, bias_scale, size=b.shape) for b in biases]
    x = rng.uniform(0, 1, size=(n_samples, sizes[0]))
    target = np.eye(sizes[-1])[rng.integers(sizes[-1], size=n_samples)]
    return x, weights, biases, target


def free_fixed_point(x, weights, biases, n_iter=500):
    states = zero_states(x.shape[0], weights)
    return relax_gradient(x @ weights[0], states, weights, biases, 0.5, n_iter)


def nudged_fixed_point(x, weights, biases, free, beta, target, n_iter=500):
    states = free.copy()
    return relax_gradient(x @ weights[0], states, weights, biases, 0.5, n_iter, beta, target)


def mean_free_cost(x, weights, biases, target):
    outputs = split_states(free_fixed_point(x, weights, biases), weights)[-1]
    return cost(outputs, target).mean()


def finite_difference_gradient(x, weights, biases, target, step=1e-5):
    """Central finite differences of the cost at the free fixed point, per parameter."""
    params = weights + biases
    grads = []
    for param in params:
        grad = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            original = param[index]
            param[index] = original + step
            plus = mean_free_cost(x, weights, biases, target)
            param[index] = original - step
            minus = mean_free_cost(x, weights, biases, target)
            param[index] = original
            grad[index] = (plus - minus) / (2 * step)
        grads.append(grad)
    return grads


def cosine(a, b):
    return float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b)))


def interior_problem(seed):
    """Small weights and biases near 1/2: every unit stays strictly inside (0, 1).

    There the energy is quadratic and the fixed points are smooth in beta, so the
    estimator's bias follows its Taylor expansion exactly.
    """
    x, weights, biases, target = tiny_problem(seed, sizes=[5, 6, 5, 3], gain=0.15)
    rng = np.random.default_rng(seed)
    biases = [rng.uniform(0.4, 0.6, size=b.shape) for b in biases]
    return x, weights, biases, target


@pytest.fixture(scope="module")
def gradient_problem():
    """A tiny network with saturated units, as in training, and its true gradient."""
    x, weights, biases, target = tiny_problem(seed=0, sizes=[4, 5, 4, 3])
    true_grads = finite_difference_gradient(x, weights, biases, target)
    return x, weights, biases, target, true_grads


@pytest.fixture(scope="module")
def interior_gradient_problem():
    x, weights, biases, target = interior_problem(seed=0)
    for state in free_fixed_point(x, weights, biases):
        assert np.all((state > 0) & (state < 1))
    true_grads = finite_difference_gradient(x, weights, biases, target)
    return x, weights, biases, target, true_grads


def test_energy_gradient_is_state_minus_drive():
    """``dE/ds_k = s_k - drive_k`` inside the unit box, by finite differences of ``energy``."""
    x, weights, biases, _ = tiny_problem(seed=1)
    rng = np.random.default_rng(1)
    states = rng.uniform(0.05, 0.95, size=(x.shape[0], sum(w.shape[1] for w in weights)))
    drives = layer_drives(x, states, weights, biases)
    step = 1e-6
    for k, state in enumerate(split_states(states, weights)):
        numeric = np.zeros_like(state)
        for index in np.ndindex(state.shape):
            state[index] += step
            plus = energy(x, states, weights, biases)[index[0]]
            state[index] -= 2 * step
            minus = energy(x, states, weights, biases)[index[0]]
            state[index] += step
            numeric[index] = (plus - minus) / (2 * step)
        np.testing.assert_allclose(numeric, state - drives[k], atol=1e-6)


def test_free_fixed_point_satisfies_fixed_point_equation():
    """At the free fixed point every layer equals the clipped drive of its neighbours."""
    x, weights, biases, _ = tiny_problem(seed=2)
    states = free_fixed_point(x, weights, biases, n_iter=500)
    drives = layer_drives(x, states, weights, biases)
    for state, drive in zip(split_states(states, weights), drives):
        np.testing.assert_allclose(state, np.clip(drive, 0, 1), atol=1e-10)


def test_nudged_fixed_point_satisfies_its_equation():
    """Nudged output: y = clip((drive + beta d) / (1 + beta)), the minimiser of F in y."""
    x, weights, biases, target = tiny_problem(seed=3)
    beta = 0.5
    free = free_fixed_point(x, weights, biases)
    nudged = nudged_fixed_point(x, weights, biases, free, beta, target)
    drives = layer_drives(x, nudged, weights, biases)
    layers = split_states(nudged, weights)
    for state, drive in zip(layers[:-1], drives[:-1]):
        np.testing.assert_allclose(state, np.clip(drive, 0, 1), atol=1e-10)
    expected_output = np.clip((drives[-1] + beta * target) / (1 + beta), 0, 1)
    np.testing.assert_allclose(layers[-1], expected_output, atol=1e-10)


@settings(max_examples=40)
@given(
    seed=st.integers(0, 2**32 - 1),
    beta=st.sampled_from([0.0, 0.3, 1.0]),
    epsilon=st.sampled_from([0.1, 0.25, 0.5]),
)
def test_gradient_relaxation_never_increases_energy(seed, beta, epsilon):
    """Projected gradient steps descend F when epsilon <= 1 / Lipschitz(dF/ds).

    With Glorot weights scaled down so that the coupling matrix has spectral
    norm below 1, the Lipschitz constant of dF/ds is below 2 + beta, and the
    paper's step sizes descend the total energy at every step.
    """
    sizes = [6, 8, 5, 3]
    x, weights, biases, target = tiny_problem(seed, sizes=sizes, n_samples=3, gain=0.4)
    lipschitz = 1 + np.linalg.norm(coupling_matrix(weights), 2) + beta
    assume(epsilon * lipschitz < 2)  # the descent lemma's condition
    rng = np.random.default_rng(seed)
    states = rng.uniform(0, 1, size=(x.shape[0], sum(sizes[1:])))
    x_drive = x @ weights[0]
    previous = total_energy(x, states, weights, biases, beta, target)
    for _ in range(30):
        relax_gradient(x_drive, states, weights, biases, epsilon, 1, beta, target)
        current = total_energy(x, states, weights, biases, beta, target)
        assert np.all(current <= previous + 1e-12)
        previous = current


def test_relaxation_keeps_states_in_unit_box_and_input_unchanged():
    x, weights, biases, target = tiny_problem(seed=4, gain=5.0)
    x_before = x.copy()
    free = free_fixed_point(x, weights, biases, n_iter=50)
    nudged = nudged_fixed_point(x, weights, biases, free, -1.0, target, n_iter=50)
    for state in (free, nudged):
        assert state.min() >= 0 and state.max() <= 1
    np.testing.assert_array_equal(x, x_before)


def test_contrastive_gradient_matches_its_definition():
    x, weights, biases, target = tiny_problem(seed=5)
    free = free_fixed_point(x, weights, biases, n_iter=100)
    nudged = nudged_fixed_point(x, weights, biases, free, 0.7, target, n_iter=100)
    weight_grads, bias_grads = contrastive_gradient(x, free, nudged, 0.7, weights)
    layers_b = [x] + split_states(nudged, weights)
    layers_0 = [x] + split_states(free, weights)
    n = x.shape[0]
    for k, grad in enumerate(weight_grads):
        expected = -(layers_b[k].T @ layers_b[k + 1] - layers_0[k].T @ layers_0[k + 1]) / (0.7 * n)
        np.testing.assert_allclose(grad, expected, atol=1e-12)
    for k, grad in enumerate(bias_grads):
        expected = -(layers_b[k + 1] - layers_0[k + 1]).mean(axis=0) / 0.7
        np.testing.assert_allclose(grad, expected, atol=1e-12)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("beta", [0.7, -0.4])
def test_sgd_step_along_the_estimate_equals_learning_rate_times_gradient(dtype, beta, order):
    x, weights, biases, target = tiny_problem(seed=6)
    x, target = x.astype(dtype), target.astype(dtype)
    weights = [W.astype(dtype, order=order) for W in weights]
    biases = [b.astype(dtype) for b in biases]
    free = free_fixed_point(x, weights, biases, n_iter=30)
    nudged = nudged_fixed_point(x, weights, biases, free, beta, target, n_iter=30)
    rates = (0.3, 0.2, 0.1)
    weight_grads, bias_grads = contrastive_gradient(x, free, nudged, beta, weights)
    expected = [p - r * g for p, r, g in zip(weights, rates, weight_grads)]
    expected += [p - r * g for p, r, g in zip(biases, rates, bias_grads)]
    originals = list(weights + biases)
    directions = [np.empty_like(p) for p in originals]
    eqprop_direction(x, free, nudged, beta, weights, directions)
    SGD(weights, biases, rates).update_params(weights + biases, directions, x.shape[0])
    tolerance = 1e-6 if dtype == np.float32 else 1e-13
    for updated, original, reference in zip(weights + biases, originals, expected):
        assert updated is original
        assert updated.dtype == dtype
        np.testing.assert_allclose(updated, reference, rtol=tolerance, atol=tolerance)


def eqprop_gradient(x, weights, biases, target, beta, symmetric=False):
    free = free_fixed_point(x, weights, biases)
    nudged = nudged_fixed_point(x, weights, biases, free, beta, target)
    if symmetric:
        reference = nudged_fixed_point(x, weights, biases, free, -beta, target)
        weight_grads, bias_grads = contrastive_gradient(x, reference, nudged, 2 * beta, weights)
    else:
        weight_grads, bias_grads = contrastive_gradient(x, free, nudged, beta, weights)
    return weight_grads + bias_grads


def test_eqprop_update_approaches_true_gradient(gradient_problem):
    """Paper, Theorem 1: at beta = 0.01 the EqProp update is minus the cost's gradient."""
    x, weights, biases, target, true_grads = gradient_problem
    estimates = eqprop_gradient(x, weights, biases, target, beta=0.01)
    for estimate, true in zip(estimates, true_grads):
        assert cosine(estimate, true) >= 0.99
        assert 0.8 <= np.linalg.norm(estimate) / np.linalg.norm(true) <= 1.25


def test_eqprop_bias_shrinks_linearly_and_symmetric_bias_quadratically(
    interior_gradient_problem,
):
    """One-sided nudging errs by O(beta), symmetric nudging by O(beta^2)."""
    x, weights, biases, target, true_grads = interior_gradient_problem
    true = np.concatenate([g.ravel() for g in true_grads])

    def error(beta, symmetric):
        estimate = eqprop_gradient(x, weights, biases, target, beta, symmetric)
        return np.linalg.norm(np.concatenate([g.ravel() for g in estimate]) - true)

    one_sided = [error(beta, False) for beta in (0.1, 0.05)]
    symmetric = [error(beta, True) for beta in (0.1, 0.05)]
    assert 1.6 < one_sided[0] / one_sided[1] < 2.5  # halving beta halves the error
    assert 3.2 < symmetric[0] / symmetric[1] < 5.0  # ... and quarters it for symmetric
    assert symmetric[1] < one_sided[1] / 5


@settings(max_examples=40)
@given(
    seed=st.integers(0, 2**32 - 1),
    beta=st.sampled_from([0.0, 0.5, -0.5, 1.0, -1.0, -1.5]),
    gain=st.sampled_from([0.5, 1.0, 3.0]),
    n_hidden=st.integers(1, 3),
)
def test_layerwise_sweeps_never_increase_energy(seed, beta, gain, n_hidden):
    """Exact block-coordinate descent: every half-sweep minimises F over a set of layers.

    Holds for any weights, and for beta <= -1 where the output's energy is concave.
    """
    sizes = [6] + [7] * n_hidden + [3]
    x, weights, biases, target = tiny_problem(seed, sizes=sizes, n_samples=3, gain=gain)
    rng = np.random.default_rng(seed)
    states = rng.uniform(0, 1, size=(x.shape[0], sum(sizes[1:])))
    x_drive = x @ weights[0]
    previous = total_energy(x, states, weights, biases, beta, target)
    for _ in range(10):
        relax_layerwise(x_drive, states, weights, biases, 1, beta, target)
        current = total_energy(x, states, weights, biases, beta, target)
        assert np.all(current <= previous + 1e-10)
        assert states.min() >= 0 and states.max() <= 1
        previous = current


def coupling_matrix(weights):
    """Symmetric matrix A of the free layers' couplings: E = 1/2 s^T (I - A) s + linear terms."""
    sizes = [W.shape[1] for W in weights]
    offsets = np.cumsum([0] + sizes)
    coupling = np.zeros((offsets[-1],) * 2)
    for k in range(1, len(weights)):
        rows = slice(offsets[k - 1], offsets[k])
        cols = slice(offsets[k], offsets[k + 1])
        coupling[rows, cols] = weights[k]
        coupling[cols, rows] = weights[k].T
    return coupling


@pytest.mark.parametrize("beta", [0.0, 0.5, -0.5])
def test_layerwise_reaches_the_gradient_dynamics_fixed_point(beta):
    """Where F is strictly convex its minimiser on the box is the unique fixed point of both."""
    x, weights, biases, target = tiny_problem(seed=7, sizes=[6, 8, 7, 5, 3], gain=0.4)
    hessian = np.eye(23) - coupling_matrix(weights)
    hessian[-3:, -3:] += beta * np.eye(3)
    assert np.linalg.eigvalsh(hessian).min() > 0.05
    start = np.random.default_rng(7).uniform(0, 1, size=(x.shape[0], 23))
    x_drive = x @ weights[0]
    by_gradient = relax_gradient(x_drive, start.copy(), weights, biases, 0.5, 2000, beta, target)
    by_layers = relax_layerwise(x_drive, start.copy(), weights, biases, 200, beta, target)
    np.testing.assert_allclose(by_layers, by_gradient, atol=1e-9)
    assert 0 < by_layers.mean() < 1  # a non-trivial fixed point


def test_layerwise_needs_far_fewer_sweeps_than_gradient_steps():
    """On a trained-size problem layerwise settles to 1e-6 many times faster."""
    x, weights, biases, _ = tiny_problem(seed=11, sizes=[20, 30, 30, 10], n_samples=8, gain=0.5)
    x_drive = x @ weights[0]
    steps = {}
    for method in ("gradient", "layerwise"):
        states = zero_states(8, weights)
        steps[method] = relax(x_drive, states, weights, biases, 1000, method=method, tol=1e-8)
    assert steps["layerwise"].max() * 3 <= steps["gradient"].max()


def test_layerwise_output_minimiser_for_concave_output_energy():
    """For beta <= -1 the nudged output goes to whichever end of [0, 1] has lower F."""
    x, weights, biases, target = tiny_problem(seed=8)
    free = free_fixed_point(x, weights, biases)
    beta = -1.5
    nudged = relax_layerwise(x @ weights[0], free.copy(), weights, biases, 1, beta, target)
    drive = layer_drives(x, nudged, weights, biases)[-1]
    y = split_states(nudged, weights)[-1]
    assert set(np.unique(y)) <= {0.0, 1.0}
    f_one = (1 + beta) / 2 - (drive + beta * target)  # F(y=1) - F(y=0), unit by unit
    np.testing.assert_array_equal(y, (f_one < 0).astype(float))


@pytest.mark.parametrize("method", ["gradient", "layerwise"])
def test_per_sample_tolerance_is_independent_of_the_batch(method):
    x, weights, biases, target = tiny_problem(seed=9, n_samples=12, gain=1.5)
    x_drive = x @ weights[0]
    states = zero_states(12, weights)
    n_steps = relax(x_drive, states, weights, biases, 300, method=method, tol=1e-6)
    assert n_steps.min() < 300  # some samples settle early ...
    assert len(set(n_steps.tolist())) > 1  # ... at different times
    for i in range(12):
        alone = zero_states(1, weights)
        steps_alone = relax(
            x_drive[i : i + 1], alone, weights, biases, 300, method=method, tol=1e-6
        )
        assert steps_alone[0] == n_steps[i]
        np.testing.assert_allclose(alone[0], states[i], rtol=0, atol=1e-12)
    # A settled sample is (near) a fixed point.
    one_more = states.copy()
    relax(x_drive, one_more, weights, biases, 1, method=method)
    settled = n_steps < 300
    assert np.abs(one_more - states)[settled].max() <= 1e-5


def test_relax_without_tolerance_runs_every_iteration():
    x, weights, biases, _ = tiny_problem(seed=10)
    states = zero_states(x.shape[0], weights)
    reference = relax_gradient(x @ weights[0], states.copy(), weights, biases, 0.5, 7)
    n_steps = relax(x @ weights[0], states, weights, biases, 7, epsilon=0.5)
    np.testing.assert_array_equal(n_steps, 7)
    np.testing.assert_array_equal(states, reference)


@pytest.mark.parametrize("tol", [None, 1e-6])
@pytest.mark.parametrize("method", ["gradient", "layerwise"])
def test_per_sample_beta_equals_one_relaxation_per_beta(method, tol):
    """Rows with their own beta (symmetric nudging relaxes +beta and -beta as one batch)
    follow exactly the trajectories of separate relaxations, concave outputs included."""
    x, weights, biases, target = tiny_problem(seed=11, n_samples=6, gain=1.5)
    free = free_fixed_point(x, weights, biases)
    x_drive = x @ weights[0]
    betas = [0.5, -0.5, -1.5]
    joint = np.concatenate([free] * len(betas))
    joint_steps = relax(
        np.concatenate([x_drive] * len(betas)),
        joint,
        weights,
        biases,
        60,
        method=method,
        beta=np.repeat(betas, x.shape[0]),
        target=np.concatenate([target] * len(betas)),
        tol=tol,
    )
    for j, beta in enumerate(betas):
        alone = free.copy()
        steps = relax(
            x_drive, alone, weights, biases, 60, method=method, beta=beta, target=target, tol=tol
        )
        rows = slice(j * x.shape[0], (j + 1) * x.shape[0])
        np.testing.assert_allclose(joint[rows], alone, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(joint_steps[rows], steps)
    assert not np.allclose(joint[: x.shape[0]], joint[x.shape[0] : 2 * x.shape[0]])


def test_per_sample_beta_must_match_the_batch():
    x, weights, biases, target = tiny_problem(seed=12)
    states = zero_states(x.shape[0], weights)
    with pytest.raises(ValueError, match="beta has 3 entries but there are 4 samples"):
        relax(x @ weights[0], states, weights, biases, 2, beta=np.ones(3), target=target)


@pytest.mark.parametrize("method", ["gradient", "layerwise"])
@pytest.mark.parametrize("tol", [None, 1e-3])
def test_relax_traced_step_by_step_ends_where_relax_ends(method, tol):
    # ``on_step`` (RelaxationDisplay's trace) sees every step with every sample's current
    # state, a settled sample's frozen, and does not change where the relaxation ends.
    x, weights, biases, target = tiny_problem(seed=8, n_samples=6)
    x_drive = x @ weights[0]
    plain = zero_states(x.shape[0], weights)
    n_steps = relax(x_drive, plain, weights, biases, 40, method=method, tol=tol,
                    beta=0.3, target=target)
    traced = zero_states(x.shape[0], weights)
    seen = []
    relax(x_drive, traced, weights, biases, 40, method=method, tol=tol, beta=0.3,
          target=target, on_step=lambda states: seen.append(states.copy()))
    np.testing.assert_array_equal(traced, plain)
    assert len(seen) == n_steps.max()
    np.testing.assert_array_equal(seen[-1], plain)
    for i, steps in enumerate(n_steps):  # a sample stops moving once it has settled
        for later in seen[steps:]:
            np.testing.assert_array_equal(later[i], plain[i])
