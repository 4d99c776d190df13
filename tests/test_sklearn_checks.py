"""scikit-learn's estimator check suite, at the estimator's default parameters."""

from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from sk_eqprop import EqPropClassifier, EqPropRegressor

ESTIMATORS = [EqPropClassifier(), EqPropRegressor()]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_param_validation():
    for estimator in ESTIMATORS:
        check_param_validation(type(estimator).__name__, estimator)
