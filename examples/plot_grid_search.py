"""
=====================================================
Tuning beta and the learning rates with a grid search
=====================================================

The two hyperparameters that matter most for Equilibrium Propagation are the
strength ``beta`` of the nudge and the learning rate of each weight layer.
:class:`~sk_eqprop.EqPropClassifier` takes part in scikit-learn's model
selection like any estimator: here a
:class:`~sklearn.model_selection.GridSearchCV` searches both on the digits,
inside a pipeline that scales the pixels to [0, 1], and a heatmap shows the
cross-validated accuracy of every combination.
"""

# %%
# The search
# ----------
# ``learning_rate`` takes one rate for every layer, or a tuple with one rate
# per weight layer (from the input upwards; the paper calls them
# :math:`\alpha_k`). At the defaults they are the step sizes of Adam.
# To keep the example fast, the network has 32 hidden units and trains for 10
# epochs, and the search runs on 900 training images with 3-fold
# cross-validation: 36 fits.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk_eqprop import EqPropClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=900, stratify=y, random_state=0
)
pipe = make_pipeline(
    MinMaxScaler(),
    EqPropClassifier(hidden_layer_sizes=(32,), max_iter=10, random_state=0),
)
betas = [0.1, 0.2, 0.5]
learning_rates = [0.003, 0.01, 0.03, (0.03, 0.01)]
grid = {
    "eqpropclassifier__beta": betas,
    "eqpropclassifier__learning_rate": learning_rates,
}
search = GridSearchCV(pipe, grid, cv=3)
with warnings.catch_warnings():
    # 10 epochs are not enough to converge: said once here, not 36 times.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

print("Best parameters:", search.best_params_)
print(f"Best cross-validated accuracy: {search.best_score_:.3f}")
print(f"Test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")

# %%
# Accuracy over the grid
# ----------------------
# ``cv_results_`` lists the combinations in the order of the grid, the last
# parameter (here the learning rate) varying fastest. Rearranged as a table,
# rows are values of ``beta`` and columns learning rates.
scores = search.cv_results_["mean_test_score"].reshape(len(betas), len(learning_rates))

fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks(range(len(learning_rates)), [str(rate) for rate in learning_rates])
ax.set_yticks(range(len(betas)), [str(beta) for beta in betas])
ax.set_xlabel("learning_rate (one value, or one per weight layer)")
ax.set_ylabel("beta")
for i in range(len(betas)):
    for j in range(len(learning_rates)):
        # White text on the dark end of viridis, black on the light end.
        light = scores[i, j] > scores.min() + 0.6 * np.ptp(scores)
        ax.text(j, i, f"{scores[i, j]:.3f}", ha="center", va="center",
                color="black" if light else "white")
fig.colorbar(image, ax=ax, label="mean accuracy (3-fold CV)")
ax.set_title("Grid search over beta and learning rates")
plt.show()

# %%
# With only 10 epochs the smallest learning rate has not finished learning, so
# the search favours the larger ones; ``beta`` changes the accuracy by less than
# a point here. More epochs change the picture, so search with the number of
# epochs you will train for. The same search scales out to a
# cluster unchanged: see the "Scaling out" page of the documentation.
