"""
===========================================
Quick start: EqProp on handwritten digits
===========================================

:class:`~sk_eqprop.EqPropClassifier` is a scikit-learn classifier: it fits,
predicts and scores like any other, and goes into a pipeline. Here it learns
scikit-learn's 8x8 digits with one hidden layer of 64 units, trained by
Equilibrium Propagation: no error is back-propagated, each weight changes by
the difference of its two units' co-activity between a free and a nudged
equilibrium of the network.
"""

# %%
# Data and model
# --------------
# The classifier standardises the features itself (``input_scaling="standard"``),
# so the pipeline's scaler changes nothing for it; the
# :class:`~sklearn.preprocessing.MinMaxScaler` stands where a user's scaler
# would. With
# ``early_stopping=True`` the classifier holds out 10% of the training data and
# stops when their accuracy has not improved for 10 epochs, keeping the best
# epoch's weights.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk_eqprop import EqPropClassifier
from sk_eqprop.inspection import LossCurveDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
model = make_pipeline(
    MinMaxScaler(),
    EqPropClassifier(hidden_layer_sizes=(64,), early_stopping=True, random_state=0),
)
model.fit(X_train, y_train)
print(f"Test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# The fitted network
# ------------------
# The last step of the pipeline holds the network: 64 inputs, 64 hidden units,
# 10 output units, one per class.
clf = model[-1]
print("Weight shapes:", [W.shape for W in clf.coefs_])
print("Epochs run:", clf.n_iter_)

# %%
# How training went
# -----------------
# :class:`~sk_eqprop.inspection.LossCurveDisplay` draws the training loss (the
# mean cost :math:`\frac{1}{2}\|y - d\|^2` at the free fixed points) and the
# training error, both measured during each epoch as in the paper, and the
# error on the held-out validation data after each epoch.
display = LossCurveDisplay.from_estimator(model, name="EqProp")
display.ax_.set_title("Training curves of EqPropClassifier on digits")
plt.show()

# %%
# Which digits get confused
# -------------------------
# A prediction is the most active output unit once the network has relaxed
# from zero states with the input clamped.
fig, ax = plt.subplots(figsize=(5.5, 5))
ConfusionMatrixDisplay.from_estimator(model, X_test, y_test, ax=ax, colorbar=False)
ax.set_title("Test set: true against predicted digit")
plt.show()
