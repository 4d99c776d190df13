"""Target codings: how an estimator's targets map onto the network's output units.

A coding is built from the estimator's fitted target metadata (``classes_``,
``target_offset_``...) and is the one place that knows the task: it encodes
targets into the output targets ``d``, decodes output units into predictions,
names the readout's link, counts errors, gives the output layer's initial bias
(weighted by ``sample_weight``), probabilities, the score of early stopping and
whether the validation split is stratified. The estimators reach it through
their ``_target_coding`` hook.
"""

import numpy as np
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.multiclass import unique_labels

# Multilabel scores are the output units mapped from [0, 1] into the open interval.
_OPEN_MARGIN = 1e-6

# With output="energy" regression targets are mapped affinely onto [LOW, HIGH] inside
# the output units' range [0, 1]: the margins let predictions go somewhat beyond the
# training targets' range. The readout (identity link) has no range to respect: there
# the targets are standardised, as is usual for a network trained on squared error.
LOW, HIGH = 0.1, 0.9


class ClassCoding:
    """One label per sample: one output unit per class (softmax readout)."""

    link = "softmax"
    stratify = True
    reports_errors = True

    def __init__(self, classes):
        self.classes = classes

    @staticmethod
    def classes_of(y):
        classes = unique_labels(y)
        if len(classes) < 2:
            raise ValueError(
                "EqPropClassifier needs samples of at least two classes; "
                f"y has only one class: {classes[0]!r}."
            )
        return classes

    def check(self, y, incremental):
        classes = unique_labels(y)
        unseen = np.setdiff1d(classes, self.classes)
        if unseen.size and incremental:
            raise ValueError(
                f"y contains classes {unseen.tolist()!r} that are not in `classes` "
                f"{self.classes.tolist()!r} given on the first call to partial_fit."
            )
        if unseen.size:
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the "
                f"previous call to fit: {self.classes!r}, got {classes!r}."
            )

    def encode(self, y, dtype):
        return np.eye(len(self.classes), dtype=dtype)[np.searchsorted(self.classes, y)]

    def decode(self, outputs):
        return self.classes[outputs.argmax(axis=1)]

    def errors(self, outputs, target):
        return (outputs.argmax(axis=1) != target.argmax(axis=1)).astype(float)

    def initial_bias(self, targets, output, sample_weight=None):
        return 0.0  # as the paper

    @staticmethod
    def score(y_true, y_pred, sample_weight=None):
        return accuracy_score(y_true, y_pred, sample_weight=sample_weight)

    def proba(self, outputs):
        # A softmax readout's rows already sum to 1; the energy's output units in [0, 1]
        # are divided by their sum (a row of zeros becomes uniform).
        totals = outputs.sum(axis=1, keepdims=True)
        silent = totals[:, 0] == 0
        outputs[silent] = 1.0
        totals[silent] = outputs.shape[1]
        return outputs / totals


class LabelIndicatorCoding(ClassCoding):
    """A binary indicator matrix: one output unit per label (logistic readout)."""

    link = "logistic"
    stratify = False

    @staticmethod
    def classes_of(y):
        return np.arange(y.shape[1])

    def check(self, y, incremental):
        if y.shape[1] != len(self.classes):
            raise ValueError(
                f"y has {y.shape[1]} labels but `classes` has {len(self.classes)} "
                f"({self.classes.tolist()!r})."
            )

    def encode(self, y, dtype):
        return np.asarray(y, dtype=dtype)

    def decode(self, outputs):
        return (outputs > 0.5).astype(int)

    def errors(self, outputs, target):  # subset accuracy, as ``score``
        return np.any((outputs > 0.5) != (target > 0.5), axis=1).astype(float)

    def initial_bias(self, targets, output, sample_weight=None):
        # Each output unit starts at its label's (weighted) frequency (the logistic
        # readout: at its logit): with zero biases the units of rare labels start far
        # from them.
        frequencies = np.average(targets, axis=0, weights=sample_weight)
        if output == "readout":
            frequencies = np.clip(frequencies, 1e-3, 1 - 1e-3)
            return np.log(frequencies / (1.0 - frequencies))
        return frequencies

    def proba(self, outputs):
        # Squeezed into the open interval (0, 1), symmetrically about the 0.5 threshold.
        return (outputs + _OPEN_MARGIN) / (1.0 + 2.0 * _OPEN_MARGIN)


class RegressionCoding:
    """Real-valued targets: one output unit per target, ``d = (y - offset) / scale``
    (identity readout; clipped to the units' range [0, 1] in the energy)."""

    link = "identity"
    stratify = False
    reports_errors = False

    def __init__(self, offset, scale, y_ndim, output):
        self.offset, self.scale, self.y_ndim, self.output = offset, scale, y_ndim, output

    @staticmethod
    def statistics(y_2d, output, sample_weight=None):
        """``(offset, scale)`` of the targets ``y_2d`` (weighted by ``sample_weight``):
        their range onto [LOW, HIGH] with ``output="energy"``, else standardised."""
        if output == "energy":
            low, high = y_2d.min(axis=0), y_2d.max(axis=0)
            span = np.where(high > low, high - low, 1.0)
            scale = span / (HIGH - LOW)
            return low - LOW * scale, scale
        if sample_weight is None:
            mean, std = y_2d.mean(axis=0), y_2d.std(axis=0)
        else:
            mean = np.average(y_2d, axis=0, weights=sample_weight)
            std = np.sqrt(np.average((y_2d - mean) ** 2, axis=0, weights=sample_weight))
        return mean, np.where(std > 0, std, 1.0)

    def encode(self, y, dtype):
        y = np.asarray(y, dtype=np.float64)
        targets = ((y.reshape(-1, 1) if y.ndim == 1 else y) - self.offset)
        targets /= self.scale
        if self.output == "energy":  # the output units live in [0, 1]
            targets = np.clip(targets, 0.0, 1.0)
        return targets.astype(dtype, copy=False)

    def decode(self, outputs):
        y = outputs.astype(np.float64) * self.scale + self.offset
        return y.ravel() if self.y_ndim == 1 else y

    def errors(self, outputs, target):
        return np.zeros(outputs.shape[0])

    def initial_bias(self, targets, output, sample_weight=None):
        # Start from the (weighted) mean target, as a regressor's natural first guess:
        # the network then learns the deviations, instead of first climbing from 0.
        return np.average(targets, axis=0, weights=sample_weight)

    @staticmethod
    def score(y_true, y_pred, sample_weight=None):
        return r2_score(y_true, y_pred, sample_weight=sample_weight)
