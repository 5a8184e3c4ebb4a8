"""The summary table: seed statistics per task and activation, with the ranks
from the paired comparisons (actzoo.ranking, actzoo.paired_tests).

Per dataset and activation, across seeds: final val_loss / val_accuracy (mean,
SD, t-based 95% CI), and test_loss / test_accuracy when the data sets have a
test split, best epoch, epochs to an accuracy threshold, area under the
validation-loss curve and wall time. Between activations: paired tests over the
seeds both runs finished, Cohen's d_z and Holm-corrected p-values; the ranking
derives from those tests only, so activations the tests cannot separate tie.
Each pair also gets a paired equivalence test (TOST, bounds +-smallest_effect)
and one verdict: different (and which is better), equivalent within
+-smallest_effect, or undecided with the seeds that would settle it
(docs/statistics.md).

Diverged runs (non-finite loss) are never dropped silently: they are counted in
``n_diverged`` of both tables, left out of the means and tests (their final
loss is NaN), and an activation with no finished run ranks last.

Tests and ranks are on ``ranked_metric``: the final test_loss when the runs
were scored on a test split (no choice has seen those rows), else the final
val_loss.
"""

import numpy as np
import pandas as pd

from actzoo.paired_tests import DEFAULT_SMALLEST_EFFECT, confidence_interval
from actzoo.ranking import compare, rank_groups
from actzoo.scores import ranked_metric, task_columns


def epochs_to_threshold(history, threshold):
    """First epoch whose val_accuracy reaches ``threshold``; None if never."""
    reached = history.loc[history["val_accuracy"] >= threshold, "epoch"]
    return int(reached.iloc[0]) if len(reached) else None


def run_statistics(histories, threshold):
    """Per-run quantities derived from the curves: epochs to the threshold and
    the area under the validation-loss curve (NaN if the curve is not finite)."""
    keys = task_columns(histories) + ["activation", "seed"]
    rows = []
    for run, history in histories.groupby(keys, sort=False):
        history = history.sort_values("epoch")
        val_loss = history["val_loss"].to_numpy(dtype=float)
        finite = len(val_loss) and np.isfinite(val_loss).all()
        rows.append(
            {
                **dict(zip(keys, run)),
                "epochs_to_threshold": epochs_to_threshold(history, threshold),
                "val_loss_auc": float(np.trapezoid(val_loss, history["epoch"])) if finite else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=keys + ["epochs_to_threshold", "val_loss_auc"])


def summarize(histories, runs, threshold=0.9, alpha=0.05, smallest_effect=DEFAULT_SMALLEST_EFFECT):
    """The summary table (one row per task and activation) and the comparisons.

    Every run in ``runs`` counts, including diverged ones and runs whose history
    is empty (diverged at the first epoch).
    """
    runs = runs.assign(diverged=runs["diverged"].astype(bool))
    keys = task_columns(runs)
    metric = ranked_metric(runs)
    scores = ("val_loss", "val_accuracy") + (("test_loss", "test_accuracy") if metric == "test_loss" else ())
    per_run = runs.merge(run_statistics(histories, threshold), on=keys + ["activation", "seed"], how="left")
    rows = []
    for group, table in per_run.groupby(keys + ["activation"], sort=False):
        finite = table[~table["diverged"]]
        row = {
            **dict(zip(keys + ["activation"], group)),
            "n_seeds": len(table),
            "n_diverged": int(table["diverged"].sum()),
        }
        for score in scores:
            values = finite[score].to_numpy(dtype=float)
            low, high = confidence_interval(values)
            row |= {
                f"{score}_mean": values.mean() if len(values) else np.nan,
                f"{score}_std": values.std(ddof=1) if len(values) > 1 else np.nan,
                f"{score}_ci95_low": low,
                f"{score}_ci95_high": high,
            }
        reached = finite["epochs_to_threshold"].dropna()
        row |= {
            "best_epoch_median": finite["best_epoch"].median() if len(finite) else np.nan,
            "epochs_to_threshold_median": reached.median() if len(reached) else np.nan,
            "n_reached_threshold": int(len(reached)),
            "n_never_reached_threshold": int(len(finite) - len(reached)),
            "val_loss_auc_mean": finite["val_loss_auc"].mean() if len(finite) else np.nan,
            "train_seconds_mean": table["train_seconds"].mean(),
        }
        rows.append(row)
    summary = pd.DataFrame(rows)
    comparisons = compare(per_run, metric, alpha=alpha, smallest_effect=smallest_effect)
    summary["rank"], summary["group"], summary["rank_basis"] = rank_groups(summary, comparisons)
    tasks = list(zip(*(summary[k] for k in keys)))
    task_order = {task: i for i, task in enumerate(dict.fromkeys(tasks))}
    summary = summary.assign(_order=[task_order[task] for task in tasks])
    summary = summary.sort_values(["_order", "rank", f"{metric}_mean"], kind="stable", na_position="last")
    first = keys + ["activation", "rank", "group", "n_seeds", "n_diverged"]
    summary = summary[first + [c for c in summary.columns if c not in first and c != "_order"]]
    return summary.reset_index(drop=True), comparisons
