"""
=====================================
What the hidden units learn to detect
=====================================

Each hidden unit of the first layer is driven by a weighted sum of the 64
pixels of a digit. Drawn as an 8x8 image, its column of weights in
``coefs_[0]`` shows which pixels excite it (positive weights) and which
inhibit it (negative weights): its *receptive field*. EqProp learns these
weights with a local rule, from the co-activity of each pixel and the unit in
the free and in the nudged phase.
"""

# %%
# Train a small network
# ---------------------
# 25 hidden units keep the picture readable. The initial weights are random
# (Glorot-uniform); we shrink them with ``init_gain=0.3`` so that what the
# pictures show is mostly what training added.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import minmax_scale

from sk_eqprop import EqPropClassifier

X, y = load_digits(return_X_y=True)
X = minmax_scale(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
params = dict(hidden_layer_sizes=(25,), init_gain=0.3, random_state=0)
clf = EqPropClassifier(early_stopping=True, **params).fit(X_train, y_train)
print(f"{clf.n_iter_} epochs, test accuracy {clf.score(X_test, y_test):.3f}")

# %%
# Receptive fields
# ----------------
# One panel per hidden unit: column ``j`` of ``coefs_[0]`` reshaped to the
# 8x8 image grid. Red pixels excite the unit, blue pixels inhibit it; each
# panel has its own colour scale, symmetric around 0 (white). The title gives
# the digit whose output unit this hidden unit excites most (the largest
# weight in row ``j`` of ``coefs_[1]``).
weights_in, weights_out = clf.coefs_


def show_field(ax, weights):
    bound = np.abs(weights).max()
    ax.imshow(weights.reshape(8, 8), cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax.set_xticks([])
    ax.set_yticks([])


fig, axes = plt.subplots(5, 5, figsize=(7.5, 8), layout="constrained")
for j, ax in enumerate(axes.ravel()):
    show_field(ax, weights_in[:, j])
    ax.set_title(f"unit {j} → digit {clf.classes_[weights_out[j].argmax()]}", fontsize=9)
fig.suptitle("Input weights of the 25 hidden units (red: excitatory, blue: inhibitory)")
plt.show()

# %%
# The fields are coarse, like the 8x8 digits, but most units have grown
# compact regions of excitation next to regions of inhibition in the middle
# of the image, where the digits differ from one another. A few fields look
# like noise: those units hardly learned, as the next section shows.
#
# Before and after training
# -------------------------
# Training for one epoch with a negligible learning rate returns the initial
# weights (the same ``random_state`` draws the same ones). Pixels that are
# blank in every training image keep their initial weights, since the update
# of ``coefs_[0]`` is proportional to the input.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch on purpose
    start = EqPropClassifier(learning_rate=1e-12, max_iter=1, **params).fit(X_train, y_train)
initial = start.coefs_[0]
blank = X_train.max(axis=0) == 0
print(f"{blank.sum()} pixels are blank in every training image; the largest change "
      f"of their weights is {np.abs(weights_in - initial)[blank].max():.1e}")

change = np.linalg.norm(weights_in - initial, axis=0) / np.linalg.norm(initial, axis=0)
order = np.argsort(change)
print("Units whose weights changed least (change / initial norm):",
      ", ".join(f"{j} ({change[j]:.2f})" for j in order[:4]))

# %%
# Below, the three units that changed most and the three that changed least,
# each with one colour scale for both of its panels, so that pale means small.
# The units that barely changed are silent (state 0) at the free fixed point of
# nearly every training image. A unit at 0 in both phases receives no update,
# so such units stay as they started: with the hard sigmoid, units can "die"
# like ReLU units in backpropagation.
shown = np.concatenate([order[::-1][:3], order[:3]])
fig, axes = plt.subplots(2, 6, figsize=(9, 3.6), layout="constrained")
for col, j in enumerate(shown):
    bound = max(np.abs(initial[:, j]).max(), np.abs(weights_in[:, j]).max())
    for row, (weights, label) in enumerate([(initial, "initial"), (weights_in, "trained")]):
        ax = axes[row, col]
        ax.imshow(weights[:, j].reshape(8, 8), cmap="RdBu_r", vmin=-bound, vmax=bound)
        ax.set_xticks([])
        ax.set_yticks([])
        if col == 0:
            ax.set_ylabel(label)
    axes[0, col].set_title(f"unit {j}\nrelative change {change[j]:.2f}", fontsize=9)
fig.suptitle("Most and least changed hidden units, before and after training")
plt.show()
