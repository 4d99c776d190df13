"""The paper-reproduction runner behind ``python -m sk_eqprop reproduce``."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import Bunch

from sk_eqprop.__main__ import main
from sk_eqprop._base import network_input, training_settings
from sk_eqprop._core.training import free_phase, input_drive
from sk_eqprop._reproduce import reproduce
from sk_eqprop.datasets import load_mnist

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.pkl.gz"
needs_mnist = pytest.mark.skipif(not MNIST.exists(), reason="../shared/data/mnist.pkl.gz is absent")


@needs_mnist
def test_reproduce_records_every_epoch_on_a_slice():
    mnist = load_mnist(MNIST)
    records = []
    clf = reproduce("784-500-10", "fast", params={"max_iter": 2, "hidden_layer_sizes": (20,)},
                    mnist=mnist, n_train=500, callback=records.append)
    assert [r["epoch"] for r in records] == [1, 2] and clf.history_ == records
    for record in records:
        assert 0 <= record["val_error"] <= 1 and 0 <= record["test_error"] <= 1
        assert record["fit_seconds"] > 0
    assert records[-1]["val_error"] < 0.8  # better than chance (0.9) after 1,000 updates
    assert clf.relaxation == "layerwise"


def test_digits_demo_command_prints_both_models(capsys, monkeypatch):
    import sk_eqprop.__main__ as cli

    def quick_demo(random_state, verbose):  # the real demo takes ~15 s; its parts are tested
        return [("EqPropClassifier (x)", 0.95, 1.0, 3), ("MLPClassifier (y)", 0.97, 0.5, 9)], (3, 1)

    monkeypatch.setattr(cli, "digits_demo", quick_demo)
    main([])
    out = capsys.readouterr().out
    assert "EqPropClassifier (x)" in out and "MLPClassifier (y)" in out and "0.950" in out


def test_reproduce_command_rejects_unknown_architecture(capsys):
    with pytest.raises(SystemExit):
        main(["reproduce", "--arch", "784-10"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, seed, verbose",
    [
        (["--random-state", "3", "reproduce"], 3, 0),
        (["reproduce", "--random-state", "5"], 5, 0),
        (["--random-state", "3", "reproduce", "--random-state", "5"], 5, 0),
        (["--verbose", "1", "reproduce"], 0, 1),
        (["reproduce"], 0, 0),
    ],
)
def test_reproduce_command_takes_the_top_level_seed_and_verbosity(monkeypatch, argv, seed, verbose):
    """The subcommand's defaults must not override what was given before it."""
    import sk_eqprop.__main__ as cli

    seen = {}

    def fake_reproduce_command(args):
        seen["seed"], seen["verbose"] = args.random_state, args.verbose

    monkeypatch.setattr(cli, "reproduce_command", fake_reproduce_command)
    main(argv)
    assert seen == {"seed": seed, "verbose": verbose}


def test_reproduce_command_passes_seed_and_verbosity_to_the_run(monkeypatch, capsys):
    import sk_eqprop._reproduce as runner
    import sk_eqprop.datasets as datasets

    calls = {}

    class Record:
        history_ = [dict(train_error=0.1, val_error=0.2, test_error=0.3, fit_seconds=1.0)]

    def fake_reproduce(arch, preset, *, params, mnist, random_state):
        calls.update(params=params, random_state=random_state)
        return Record()

    monkeypatch.setattr(runner, "reproduce", fake_reproduce)
    monkeypatch.setattr(datasets, "load_mnist", lambda path=None: None)
    main(["--random-state", "3", "--verbose", "1", "reproduce", "--epochs", "2"])
    assert calls == {"params": {"max_iter": 2, "verbose": 1}, "random_state": 3}
    main(["reproduce", "--backend", "jax"])
    assert calls == {"params": {"backend": "jax"}, "random_state": 0}


def test_monitored_estimator_is_configured_in_its_constructor_and_clone_keeps_it():
    from sklearn.base import clone
    from sklearn.datasets import load_digits

    from sk_eqprop._reproduce import MonitoredEqProp

    X, y = load_digits(return_X_y=True)
    records = []
    clf = MonitoredEqProp(hidden_layer_sizes=(8,), max_iter=2, random_state=0,
                          monitor_data=(X[:50], y[:50]), monitor_callback=records.append)
    twin = clone(clf)
    assert np.array_equal(twin.monitor_data[0], X[:50]) and twin.get_params()["max_iter"] == 2
    twin.set_params(monitor_callback=records.append)  # clone copies the callback's list
    twin.fit(X[50:300], y[50:300])
    assert [r["epoch"] for r in twin.history_] == [1, 2] == [r["epoch"] for r in records]
    assert np.isnan(records[0]["test_error"]) and 0 <= records[0]["val_error"] <= 1


def test_particle_evaluation_is_predicts_where_one_sweep_is_exact():
    # One hidden layer under a readout, layerwise: the free phase is one layer whose
    # single sweep sets it to its exact minimiser from any start, so the reference
    # code's evaluation at persistent particles and predict's relaxation from zero give
    # the same outputs.
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    clf = reproduce("784-500-10", "fast", params={"max_iter": 2, "hidden_layer_sizes": (20,),
                                                  "input_scaling": "standard",
                                                  "output": "readout"},
                    mnist=Bunch(X_train=X[:300], y_train=y[:300], X_val=X[300:500],
                                y_val=y[300:500], X_test=X[500:700], y_test=y[500:700]),
                    callback=lambda record: None, monitor_particles=True)
    for record in clf.history_:
        assert record["val_error_particles"] == record["val_error"]
        assert record["test_error_particles"] == record["test_error"]


def test_particle_evaluation_carries_each_images_particle_across_epochs():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    data = Bunch(X_train=X[:300], y_train=y[:300], X_val=X[300:400], y_val=y[300:400])
    params = {"max_iter": 3, "hidden_layer_sizes": (20,), "input_scaling": "standard",
              "relaxation": "gradient", "relax_tol": None, "n_iter_free": 2}
    clf = reproduce("784-500-10", "fast", params=params, mnist=Bunch(**data, X_test=None,
                                                                     y_test=None),
                    callback=lambda record: None, monitor_particles=True)
    particles = clf._eval_particles["val"]
    assert particles.shape == (100, 30) and particles.any()
    # Two more gradient steps from the stored particles, with the final weights, move
    # them: two steps per epoch never reach the fixed point, so they carry state.
    moved = particles.copy()
    W, b = clf.coefs_, clf.intercepts_
    free_phase(training_settings(clf), input_drive(network_input(clf, X[300:400]), W[0]), moved,
               W, b, 2, tol=None)
    assert not np.allclose(moved, particles)
    assert np.isnan(clf.history_[-1]["test_error_particles"])
