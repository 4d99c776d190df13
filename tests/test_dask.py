"""A grid search spread over a dask.distributed cluster gives the serial results."""

import logging

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk_eqprop import EqPropClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


def make_search():
    pipe = make_pipeline(
        MinMaxScaler(), EqPropClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    )
    grid = {
        "eqpropclassifier__beta": [0.5, 1.0],
        "eqpropclassifier__learning_rate": [0.05, (0.2, 0.05)],
    }
    return GridSearchCV(pipe, grid, cv=3)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_on_dask_matches_serial():
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    serial = make_search().fit(X, y)

    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as tasks:
            with joblib.parallel_config(backend="dask"):
                spread = make_search().fit(X, y)
        # The fits ran on the cluster's workers (joblib may batch several per task).
        assert len(tasks.data) > 0

    np.testing.assert_allclose(
        spread.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    np.testing.assert_allclose(
        spread.cv_results_["split0_test_score"], serial.cv_results_["split0_test_score"]
    )
    assert spread.best_params_ == serial.best_params_
    np.testing.assert_array_equal(spread.predict(X), serial.predict(X))
