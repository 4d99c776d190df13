"""The lines that ``verbose`` prints during ``fit`` and ``partial_fit``."""

from sklearn.base import is_classifier


def epoch_line(estimator, epoch, seconds, elapsed, n_epochs, incremental):
    """``[3/25] loss 0.1234, train err 1.20%, val err 2.10%, 3.1s, eta 70s``."""
    counter = f"{estimator.n_iter_}" if incremental else f"{epoch + 1}/{n_epochs}"
    line = f"[{counter}] loss {estimator.loss_curve_[-1]:.4f}"
    if is_classifier(estimator):
        line += f", train err {100 * estimator.train_error_curve_[-1]:.2f}%"
    if estimator.early_stopping:
        score = estimator.validation_scores_[-1]
        if is_classifier(estimator):
            line += f", val err {100 * (1 - score):.2f}%"
        else:
            line += f", val R2 {score:.4f}"
    line += f", {seconds:.1f}s"
    if not incremental and epoch + 1 < n_epochs:
        line += f", eta {elapsed / (epoch + 1) * (n_epochs - epoch - 1):.0f}s"
    return line


def relaxation_line(estimator, counts, n_samples, nudged_cap):
    """The ``verbose >= 2`` line: mean relaxation iterations per sample and phase."""
    unit = "sweeps" if estimator.relaxation == "layerwise" else "steps"
    nudged = counts["nudged"] / max(counts["nudged_samples"], 1)
    return (
        f"    relaxation ({estimator.relaxation}): free phase {counts['free'] / n_samples:.1f} "
        f"{unit} per sample (cap {estimator.n_iter_free}), nudged phase {nudged:.1f} "
        f"(cap {nudged_cap})"
    )


def stop_line(estimator):
    what = "Validation score" if estimator.early_stopping else "Training loss"
    return (
        f"{what} did not improve more than tol={estimator.tol} for "
        f"{estimator.n_iter_no_change} consecutive epochs. Stopping."
    )
