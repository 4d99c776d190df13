"""Inspection of EqProp networks: training curves, relaxation, gradient alignment.

The displays follow scikit-learn's Display pattern and need Matplotlib only
when they draw; importing this module does not import it.
"""

from ._alignment import gradient_alignment
from ._plot import LossCurveDisplay, RelaxationDisplay
from ._relaxation import free_phase

__all__ = ["LossCurveDisplay", "RelaxationDisplay", "free_phase", "gradient_alignment"]
