"""The markdown a run ends with (results/summary.md): the ranked table per
task, each pair's verdict in one line, and with tuning the ranks at fixed
settings beside the tuned ones; and write_summary, which writes it with
summary.csv and comparisons.csv, and after it the robust aggregates per task
(actzoo.robust)."""

import numpy as np
import pandas as pd

from actzoo import robust
from actzoo.paired_tests import DEFAULT_SMALLEST_EFFECT, DIFFERENT, EQUIVALENT
from actzoo.scores import accuracy_of, ranked_metric, task_columns
from actzoo.stats import summarize


def verdict_line(row, task):
    """One line on a pair: its verdict, and for an undecided pair how many
    seeds would settle the side the observed difference points to."""
    pair = f"{row['activation_a']} vs {row['activation_b']} on {task}"
    if not np.isfinite(row["p_holm"]):
        return f"{pair}: undecided, not tested ({row['test']})"
    n, delta = row["n_pairs"], row["smallest_effect"]
    size = f"difference {row['mean_difference']:+.3f}, d_z = {row['effect_size_dz']:.2f}"
    if row["verdict"] == DIFFERENT:
        line = f"{pair}: different with {n} seeds, {row['better']} better ({size})"
        if row["equivalent"]:
            line += f"; also equivalent within ±{delta:g}: a real difference smaller than what matters"
        return line
    if row["verdict"] == EQUIVALENT:
        return f"{pair}: equivalent within ±{delta:g} with {n} seeds ({size})"
    line = f"{pair}: undecided with {n} seeds ({size}); "
    if abs(row["mean_difference"]) < delta:  # the equivalence side is the one the data point to
        needed, goal = row["seeds_needed_equivalence"], f"show equivalence within ±{delta:g}"
    else:
        needed, goal = row["seeds_needed"], "separate a difference this size"
    if pd.isna(needed):
        return line + f"no number of seeds is estimated to {goal} (too small against the spread)"
    if needed <= n:  # the observed effect is itself a noisy estimate
        return line + f"a few more seeds should {goal}, though {n} usually would"
    return line + f"about {needed} seeds would {goal}"


def _number(value, fmt=".3f"):
    return format(value, fmt) if np.isfinite(value) else "-"


def markdown(summary, threshold, comparisons=None):
    """A short ranked table per task for the terminal and the README."""
    keys = task_columns(summary)
    metric = ranked_metric(summary)
    accuracy = accuracy_of(metric)
    lines = []
    for task, table in summary.groupby(keys, sort=False):
        lines += [
            f"### {' · '.join(map(str, task))}",
            "",
            f"| rank | group | activation | {metric} (95% CI) | {accuracy} | epochs to {threshold:.0%} | diverged |",
            "|---:|:---:|---|---|---:|---:|---:|",
        ]
        for _, row in table.iterrows():
            low, high = row[f"{metric}_ci95_low"], row[f"{metric}_ci95_high"]
            ci = f" [{low:.3f}, {high:.3f}]" if np.isfinite(low) else ""
            finished = row.n_seeds - row.n_diverged
            if row.n_reached_threshold == 0:
                reached = "never"
            else:
                reached = f"{row.epochs_to_threshold_median:.0f}"
                if row.n_reached_threshold < finished:
                    reached += f" ({row.n_reached_threshold}/{finished} runs)"
            lines.append(
                f"| {row['rank']} | {row.group} | {row.activation} | {_number(row[f'{metric}_mean'])}{ci} | "
                f"{_number(row[f'{accuracy}_mean'])} | {reached} | {row.n_diverged}/{row.n_seeds} |"
            )
        if comparisons is not None and len(comparisons):
            same = (comparisons[keys] == pd.Series(dict(zip(keys, task)))).all(axis=1)
            tests = sorted(set(comparisons.loc[same, "test"]))
            lines += ["", "Tests: " + "; ".join(tests) + "."]
            name = " · ".join(map(str, task))
            lines += [""] + [f"- {verdict_line(row, name)}" for _, row in comparisons[same].iterrows()]
        lines.append("")
    lines.append(
        f"Rank = 1 + the number of activations with a significantly lower final {metric} (paired test over "
        "seeds, Holm-corrected); activations sharing a group letter are not significantly different. "
        "With fewer than 2 seeds no test is computed and the rank is the order of the means. "
        "Diverged runs are counted, not averaged. Each pair's verdict: different (the paired test, Holm-corrected), "
        "equivalent (the paired TOST within ±statistics.smallest_effect of "
        f"{metric}, Holm-corrected), or undecided; docs/statistics.md. Seeds needed: for 80% power at the "
        "Holm-corrected level alpha / (number of pairs), estimated from the observed difference and its spread "
        "(statsmodels), which the seeds at hand measure only roughly."
        + (
            " Ranked on the test split: the final model's loss and accuracy on rows that neither training nor any "
            "choice of settings saw (epochs to the threshold still count validation accuracy)."
            if metric == "test_loss"
            else ""
        )
    )
    return "\n".join(lines) + "\n"


def fixed_vs_tuned(summary, settings, edges=None):
    """Markdown: per data set (and variant), each activation's rank at the
    config's fixed settings beside its rank at its tuned ones, and where the
    order changes. ``settings`` maps (task..., activation) to the chosen
    values, ``edges`` to the tuned keys whose choice is at the grid's edge."""
    edges = edges or {}
    metric = ranked_metric(summary)
    accuracy = accuracy_of(metric)
    keys = [k for k in task_columns(summary) if k != "tuning"]
    lines = ["## Fixed settings against tuned ones", ""]
    for task, table in summary.groupby(keys, sort=False):
        name = " · ".join(map(str, task))
        side = {kind: rows.set_index("activation") for kind, rows in table.groupby("tuning")}
        fixed, tuned = side["fixed"], side["tuned"]
        lines += [
            f"### {name}",
            "",
            f"| activation | fixed: rank (group) | {metric} | {accuracy} | tuned: rank (group) | {metric} | {accuracy} "
            "| tuned to |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for activation in tuned.index:
            cells = []
            for row in (fixed.loc[activation], tuned.loc[activation]):
                cells += [
                    f"{row['rank']} ({row.group})",
                    _number(row[f"{metric}_mean"]),
                    _number(row[f"{accuracy}_mean"]),
                ]
            chosen = settings.get((*task, activation), "")
            if edges.get((*task, activation)):
                chosen += " (grid edge)"
            lines.append(f"| {activation} | {' | '.join(cells)} | {chosen} |")
        moved = [a for a in tuned.index if fixed.at[a, "rank"] != tuned.at[a, "rank"]]
        if moved:
            change = ", ".join(f"{a} {fixed.at[a, 'rank']} → {tuned.at[a, 'rank']}" for a in moved)
            lines += ["", f"Tuning changes the ranking on {name}: {change}."]
        else:
            lines += ["", f"Tuning changes no rank on {name}."]
        at_edge = [a for a in tuned.index if edges.get((*task, a))]
        if at_edge:
            lines += [
                "",
                f"At the edge of the grid, where the best value may lie beyond it (widen the grid): "
                f"{', '.join(f'{a} ({edges[(*task, a)]})' for a in at_edge)}.",
            ]
        lines.append("")
    lines.append(
        f"Ranks on {metric}, as in the tables below: fixed = every activation at the config's training settings, "
        "tuned = each at the grid point it chose on the validation split over the tuning seeds (results/tuning/selected.csv)."
    )
    return "\n".join(lines) + "\n"


def aso_lines(comparisons):
    """summary.md's ASO section: epsilon_min per pair (statistics.aso)."""
    keys = task_columns(comparisons)
    lines = ["## Almost stochastic order (ASO)", ""]
    for _, row in comparisons.iterrows():
        task = " · ".join(str(row[k]) for k in keys)
        lines.append(
            f"- {row['activation_a']} better than {row['activation_b']} on {task}: "
            f"ε_min = {_number(row['aso_epsilon_min'])}"
        )
    lines += [
        "",
        "ε_min (Dror et al. 2019, deepsig): 0 = a better everywhere, below 0.5 = a almost stochastically better, "
        "0.5 = neither, 1 = b better; on the ranked loss (lower is better), Bonferroni over the task's pairs.",
    ]
    return "\n".join(lines) + "\n"


def write_summary(
    histories_path,
    runs_path,
    threshold,
    alpha,
    summary,
    comparisons,
    markdown_path,
    fixed_histories_path=None,
    fixed_runs_path=None,
    selected_path=None,
    smallest_effect=DEFAULT_SMALLEST_EFFECT,
    bootstrap_resamples=robust.DEFAULT_RESAMPLES,
    bootstrap_seed=robust.DEFAULT_SEED,
    aso=False,
):
    """summary.csv, comparisons.csv and the markdown table printed at the end
    of a run. With tuning, the runs at fixed settings come too: both are
    ranked (a ``tuning`` column says which) and summary.md sets them side by side."""
    histories, runs = pd.read_csv(histories_path), pd.read_csv(runs_path)
    if fixed_runs_path:
        histories = pd.concat(
            [pd.read_csv(fixed_histories_path).assign(tuning="fixed"), histories.assign(tuning="tuned")],
            ignore_index=True,
        )
        runs = pd.concat([pd.read_csv(fixed_runs_path).assign(tuning="fixed"), runs.assign(tuning="tuned")])
    summary_table, comparison_table = summarize(
        histories, runs, threshold=threshold, alpha=alpha, smallest_effect=smallest_effect
    )
    if aso:
        from actzoo.aso import with_aso

        comparison_table = with_aso(comparison_table, runs, bootstrap_seed)
    summary_table.to_csv(summary, index=False)
    comparison_table.to_csv(comparisons, index=False)
    text = markdown(summary_table, threshold, comparison_table)
    if fixed_runs_path:
        tuned = runs[runs["tuning"] == "tuned"]
        keys = [k for k in task_columns(tuned) if k != "tuning"]
        settings = {tuple(row[keys + ["activation"]]): row["settings"] for _, row in tuned.iterrows()}
        selected = pd.read_csv(selected_path, keep_default_na=False) if selected_path else pd.DataFrame()
        edges = {tuple(row[keys + ["activation"]]): row["at_grid_edge"] for _, row in selected.iterrows()}
        text = fixed_vs_tuned(summary_table, settings, edges) + "\n" + text
    text += "\n" + robust.per_task_markdown(runs, bootstrap_resamples, bootstrap_seed)
    if aso:
        text += "\n" + aso_lines(comparison_table)
    with open(markdown_path, "w") as handle:
        handle.write(text)
