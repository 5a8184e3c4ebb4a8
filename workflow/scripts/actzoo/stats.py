"""Seed statistics and paired comparisons between activations (scipy.stats)."""

import itertools

import numpy as np
import pandas as pd
from scipy import stats

# With fewer paired seeds than this, Wilcoxon's exact test cannot reach p < 0.05
# (n = 5 gives p >= 0.0625), so the paired t-test is used instead.
WILCOXON_MIN_PAIRS = 6


def confidence_interval(values, level=0.95):
    """t-based interval of the mean; NaN when fewer than two values."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return np.nan, np.nan
    mean, sem = values.mean(), stats.sem(values)
    if sem == 0:
        return mean, mean
    return stats.t.interval(level, len(values) - 1, loc=mean, scale=sem)


def epochs_to_threshold(history, threshold):
    """First epoch whose val_accuracy reaches ``threshold``; None if never."""
    reached = history.loc[history["val_accuracy"] >= threshold, "epoch"]
    return int(reached.iloc[0]) if len(reached) else None


def run_statistics(histories, threshold):
    """Per-run quantities derived from the curves: best epoch, epochs to the
    threshold, and the area under the validation-loss curve."""
    rows = []
    for (dataset, activation, seed), history in histories.groupby(["dataset", "activation", "seed"], sort=False):
        val_loss = history["val_loss"].to_numpy(dtype=float)
        finite = np.isfinite(val_loss)
        rows.append(
            {
                "dataset": dataset,
                "activation": activation,
                "seed": seed,
                "epochs_to_threshold": epochs_to_threshold(history, threshold),
                "val_loss_auc": float(np.trapezoid(val_loss, history["epoch"])) if finite.all() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def holm(p_values):
    """Holm-Bonferroni adjusted p-values (scipy has only Benjamini-Hochberg)."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested])]
    m = len(order)
    running = 0.0
    for i, index in enumerate(order):
        running = max(running, (m - i) * p[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def paired_test(a, b):
    """Paired test of a vs b over the same seeds: (test name, p-value, effect size).

    Effect size is Cohen's d_z: mean difference over the SD of differences.
    """
    difference = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(difference)
    if n < 2:
        return "not computed (fewer than 2 seeds)", np.nan, np.nan
    if np.all(difference == 0):
        return "identical", 1.0, 0.0
    sd = difference.std(ddof=1)
    effect = difference.mean() / sd if sd > 0 else np.copysign(np.inf, difference.mean())
    if n >= WILCOXON_MIN_PAIRS:
        return "wilcoxon", float(stats.wilcoxon(a, b).pvalue), float(effect)
    if sd == 0:
        return "paired t", 0.0, float(effect)
    return "paired t", float(stats.ttest_rel(a, b).pvalue), float(effect)


def compare(runs, metric="val_loss", alpha=0.05):
    """All pairs of activations per dataset on the seeds both finished."""
    rows = []
    for dataset, table in runs.groupby("dataset", sort=False):
        wide = table.pivot(index="seed", columns="activation", values=metric)
        activations = list(dict.fromkeys(table["activation"]))
        for first, second in itertools.combinations(activations, 2):
            pair = wide[[first, second]].dropna()
            test, p, effect = paired_test(pair[first], pair[second])
            rows.append(
                {
                    "dataset": dataset,
                    "activation_a": first,
                    "activation_b": second,
                    "metric": metric,
                    "n_pairs": len(pair),
                    "mean_difference": float((pair[first] - pair[second]).mean()) if len(pair) else np.nan,
                    "test": test,
                    "p_value": p,
                    "effect_size_dz": effect,
                }
            )
    comparisons = pd.DataFrame(rows)
    if comparisons.empty:
        return comparisons
    comparisons["p_holm"] = np.nan
    for dataset, index in comparisons.groupby("dataset").groups.items():
        comparisons.loc[index, "p_holm"] = holm(comparisons.loc[index, "p_value"])
    comparisons["significant"] = comparisons["p_holm"] < alpha
    return comparisons


def rank_groups(summary, comparisons):
    """Rank 1 + the number of activations significantly better (lower val_loss).

    Activations that no test separates share a rank. Without tests (fewer than
    two seeds) the rank is the plain order of the means.
    """
    ranks = {}
    for dataset, table in summary.groupby("dataset", sort=False):
        pairs = comparisons[comparisons["dataset"] == dataset] if len(comparisons) else comparisons
        tested = len(pairs) and pairs["p_holm"].notna().any()
        means = table.set_index("activation")["val_loss_mean"]
        for activation, mean in means.items():
            if not tested:
                ranks[(dataset, activation)] = int((means < mean).sum()) + 1
                continue
            better = 0
            for _, pair in pairs[pairs["significant"]].iterrows():
                if activation == pair["activation_a"] and pair["mean_difference"] > 0:
                    better += 1
                elif activation == pair["activation_b"] and pair["mean_difference"] < 0:
                    better += 1
            ranks[(dataset, activation)] = better + 1
    return [ranks[(d, a)] for d, a in zip(summary["dataset"], summary["activation"])]


def summarize(histories, runs, threshold=0.9, alpha=0.05):
    """The summary table (one row per dataset and activation) and the comparisons."""
    per_run = runs.merge(run_statistics(histories, threshold), on=["dataset", "activation", "seed"])
    rows = []
    for (dataset, activation), table in per_run.groupby(["dataset", "activation"], sort=False):
        finite = table[~table["diverged"].astype(bool)]
        row = {
            "dataset": dataset,
            "activation": activation,
            "n_seeds": len(table),
            "n_diverged": int(table["diverged"].astype(bool).sum()),
        }
        for metric in ("val_loss", "val_accuracy"):
            values = finite[metric].to_numpy(dtype=float)
            low, high = confidence_interval(values)
            row |= {
                f"{metric}_mean": values.mean() if len(values) else np.nan,
                f"{metric}_std": values.std(ddof=1) if len(values) > 1 else np.nan,
                f"{metric}_ci95_low": low,
                f"{metric}_ci95_high": high,
            }
        reached = finite["epochs_to_threshold"].dropna()
        row |= {
            "best_epoch_median": finite["best_epoch"].median() if len(finite) else np.nan,
            "epochs_to_threshold_median": reached.median() if len(reached) else np.nan,
            "n_never_reached_threshold": int(len(finite) - len(reached)),
            "val_loss_auc_mean": finite["val_loss_auc"].mean(),
            "train_seconds_mean": table["train_seconds"].mean(),
        }
        rows.append(row)
    summary = pd.DataFrame(rows)
    comparisons = compare(per_run[~per_run["diverged"].astype(bool)], alpha=alpha)
    summary["rank"] = rank_groups(summary, comparisons)
    summary = summary.sort_values(["dataset", "rank", "val_loss_mean"], kind="stable")
    first = ["dataset", "activation", "rank", "n_seeds", "n_diverged"]
    return summary[first + [c for c in summary.columns if c not in first]], comparisons


def markdown(summary, threshold):
    """A short ranked table per dataset for the terminal and the README."""
    lines = []
    for dataset, table in summary.groupby("dataset", sort=False):
        lines += [
            f"### {dataset}",
            "",
            "| rank | activation | val_loss (95% CI) | val_accuracy | "
            f"epochs to {threshold:.0%} | diverged |",
            "|---:|---|---|---:|---:|---:|",
        ]
        for _, row in table.iterrows():
            ci = (
                f" ({row.val_loss_ci95_low:.3f}-{row.val_loss_ci95_high:.3f})"
                if np.isfinite(row.val_loss_ci95_low)
                else ""
            )
            reached = (
                f"{row.epochs_to_threshold_median:.0f}" if np.isfinite(row.epochs_to_threshold_median) else "never"
            )
            lines.append(
                f"| {row['rank']} | {row.activation} | {row.val_loss_mean:.3f}{ci} | "
                f"{row.val_accuracy_mean:.3f} | {reached} | {row.n_diverged}/{row.n_seeds} |"
            )
        lines.append("")
    lines.append(
        "Rank 1 + the number of activations significantly better (paired test over seeds, "
        "Holm-corrected); equal ranks are not significantly different."
    )
    return "\n".join(lines) + "\n"
