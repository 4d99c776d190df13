"""Equilibrium Propagation estimators for scikit-learn."""

from ._classifier import EqPropClassifier
from ._hyperparameters import PAPER_ARCHITECTURES, fast_hyperparameters, paper_hyperparameters
from ._regressor import EqPropRegressor

__version__ = "0.1.0"

__all__ = [
    "EqPropClassifier",
    "EqPropRegressor",
    "PAPER_ARCHITECTURES",
    "__version__",
    "fast_hyperparameters",
    "paper_hyperparameters",
]
