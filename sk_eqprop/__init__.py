"""Equilibrium Propagation estimators for scikit-learn."""

from ._classifier import EqPropClassifier
from ._hyperparameters import PAPER_ARCHITECTURES, paper_hyperparameters

__version__ = "0.1.0"

__all__ = ["EqPropClassifier", "PAPER_ARCHITECTURES", "paper_hyperparameters", "__version__"]
