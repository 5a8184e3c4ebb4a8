"""What the comparisons are about and on: the task columns (a data set, a
model variant, fixed or tuned settings) and the ranked metric (test_loss when
the runs were scored on a test split, else val_loss)."""


def task_columns(table):
    """What one comparison is about: a data set, or with model variants (a
    ``model`` column) a (data set, variant), and with tuning (a ``tuning``
    column: fixed or tuned settings) each of those twice. Activations are
    ranked per task."""
    return [c for c in ("dataset", "model", "tuning") if c == "dataset" or c in table.columns]


def ranked_metric(table):
    """What the comparisons rank on: ``test_loss`` if ``table`` (runs.csv, or
    a summary with its ``_mean`` columns) has test scores, else ``val_loss``.
    A config gives every data set a test split or none (actzoo.config)."""
    return "test_loss" if {"test_loss", "test_loss_mean"} & set(table.columns) else "val_loss"


def accuracy_of(metric):
    """The accuracy reported beside ``metric``: test_accuracy for test_loss."""
    return metric.replace("loss", "accuracy")


def final_values(runs, metric):
    """``metric`` with diverged runs set to NaN (their final values are not results)."""
    return runs[metric].where(~runs["diverged"].astype(bool))
