"""
=================================================
EqProp against backpropagation: learning curves
=================================================

:class:`~sklearn.neural_network.MLPClassifier` trains the same kind of layered
network by backpropagation (with the Adam optimizer, by default). Here both
learn the digits with one hidden layer of 64 units, each with its own default
minibatches (up to 200 samples) and Adam steps. We compare their training
curves epoch by epoch, then their accuracy as the training set grows.
"""

# %%
# Training curves, epoch by epoch
# -------------------------------
# Both classifiers hold out the same 10% of their training data and stop when
# its accuracy stalls for 10 epochs. Both losses are the cross-entropy of a
# softmax output: EqProp's readout at the free fixed point of its hidden layer,
# the MLP's output layer; the error rates (right axes) compare directly.
import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import LearningCurveDisplay, ShuffleSplit, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk_eqprop import EqPropClassifier
from sk_eqprop.inspection import LossCurveDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
models = {
    "EqProp": EqPropClassifier(hidden_layer_sizes=(64,), early_stopping=True, random_state=0),
    "MLP (backprop)": MLPClassifier(
        hidden_layer_sizes=(64,), early_stopping=True, max_iter=300, random_state=0,
    ),
}
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for ax, (name, clf) in zip(axes, models.items()):
    pipe = make_pipeline(MinMaxScaler(), clf)
    start = time.perf_counter()
    pipe.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    print(
        f"{name}: {clf.n_iter_} epochs in {seconds:.1f} s, "
        f"test accuracy {pipe.score(X_test, y_test):.3f}"
    )
    display = LossCurveDisplay.from_estimator(pipe, ax=ax, name=name)
    display.error_ax_.set_ylim(0, 0.6)  # the same error scale in both panels
    ax.set_title(f"{name}: {clf.n_iter_} epochs")
axes[0].set_ylabel("Training loss (cross-entropy)", color="C0")
axes[1].set_ylabel("Training loss (log-loss)", color="C0")
plt.show()

# %%
# The MLP records no training error, only its validation score. With one
# hidden layer and its readout, EqProp's free phase settles in one sweep (a
# forward pass) and each of its two nudged phases (at +beta and -beta, relaxed
# as one batch) in a few more, where backpropagation needs one forward and one
# backward pass; see the times printed above.

# %%
# Accuracy against the size of the training set
# ---------------------------------------------
# scikit-learn's :class:`~sklearn.model_selection.LearningCurveDisplay` refits
# each model on growing subsets of the data and scores it on held-out data
# (3 random splits, 20% held out). To keep this quick, each fit runs 20 epochs
# without early stopping.
cv = ShuffleSplit(n_splits=3, test_size=0.2, random_state=0)
fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
curves = {
    "EqProp": EqPropClassifier(hidden_layer_sizes=(64,), max_iter=20, random_state=0),
    "MLP (backprop)": MLPClassifier(
        hidden_layer_sizes=(64,), max_iter=20, random_state=0
    ),
}
for name, clf in curves.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 20 epochs on purpose
        display = LearningCurveDisplay.from_estimator(
            make_pipeline(MinMaxScaler(), clf),
            X,
            y,
            train_sizes=[0.1, 0.25, 0.5, 1.0],
            cv=cv,
            score_type="test",
            score_name="Accuracy on held-out data",
            ax=ax,
        )
    display.lines_[0].set_label(name)
    display.fill_between_[0].set_label(None)
ax.legend(title="mean ± std over 3 splits", loc="lower right")
ax.set_xlabel("Number of training samples")
ax.set_title("Learning curves on digits, 64 hidden units, 20 epochs")
plt.show()

# %%
# After 20 epochs EqProp is ahead at every size of the training set, most on
# the small ones, where 20 epochs are 20 Adam steps and its default step size
# (0.01) is ten times the MLP's (0.001): the MLP needs more epochs, and its
# default of 200 catches up (``benchmarks/compare_defaults.py`` runs both to
# their own stopping rules). Both follow Adam; the MLP along exact gradients,
# EqProp along an estimate obtained without any backward pass, from a local rule
# that only needs the activities of the two units a weight connects.
