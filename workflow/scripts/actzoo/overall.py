"""One answer across data sets: average ranks, the Friedman test and the
Nemenyi post-hoc test with its critical-difference diagram (Demšar 2006).

Each task (a data set, or with model variants a (data set, variant): see
``actzoo.scores.task_columns``) is a block. An activation's score on a task is
its mean final validation loss over seeds (lower is better); activations are
ranked within each task, ties sharing the average rank, and an activation
without a finished run on a task (NaN mean) ranks last there. With a test
split the score is the mean final test loss instead (``ranked_metric``).

The statistics come from libraries: ``scipy.stats.friedmanchisquare`` (with
its tie correction), ``scikit_posthocs.posthoc_nemenyi_friedman`` and
``scikit_posthocs.critical_difference_diagram``. Both tests get the matrix of
ranks, not of scores: they rank within each task themselves, so that changes
nothing for finite scores, and it puts a NaN score last, where scipy would
return NaN and scikit-posthocs would drop the task. Written out here, from
Demšar's paper: the Iman-Davenport F form of the Friedman statistic (one line,
with the p-value from ``scipy.stats.f``) and the critical difference (from
``scipy.stats.studentized_range``), the same quantity the Nemenyi p-values use.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from actzoo.figure_output import save
from actzoo.ranking import letter_groups
from actzoo.scores import ranked_metric, task_columns

MIN_TASKS = 3
MIN_ACTIVATIONS = 3
POSTHOC = "Nemenyi (scikit-posthocs posthoc_nemenyi_friedman)"
NEMENYI_CAVEAT = (
    "The Nemenyi test compares every pair at once and is conservative, most of all with few data sets: "
    "activations it does not separate may still differ."
)


def task_label(task, sep=" · "):
    return sep.join(map(str, task))


def rank_matrix(summary):
    """Ranks of the activations (columns, in order of first appearance) within
    each task (rows): lowest mean ranked_metric (test_loss or val_loss) = 1, ties share the average rank,
    NaN (no finished run) last. Also returns the matrix of scores."""
    keys = task_columns(summary)
    tasks = list(dict.fromkeys(zip(*(summary[k] for k in keys))))
    scores = summary.set_index(keys + ["activation"])[f"{ranked_metric(summary)}_mean"].unstack("activation")
    scores = scores.reindex(index=pd.MultiIndex.from_tuples(tasks) if len(keys) > 1 else [t[0] for t in tasks])
    scores = scores.reindex(columns=list(dict.fromkeys(summary["activation"])))
    scores.index = [task_label(t) for t in tasks]
    scores.columns.name = None
    ranks = scores.rank(axis=1, method="average", na_option="bottom", ascending=True)
    return ranks, scores


def iman_davenport(chi2, n_tasks, n_activations):
    """Iman and Davenport's F form of the Friedman statistic (Demšar 2006, eq. 2):
    F = (N-1) chi2 / (N(k-1) - chi2) with k-1 and (k-1)(N-1) degrees of freedom.
    Returns (F, p); F is infinite, p 0, when every task ranks alike (chi2 = N(k-1))."""
    n, k = n_tasks, n_activations
    denominator = n * (k - 1) - chi2
    if denominator <= 1e-12 * n * (k - 1):
        return np.inf, 0.0
    f = (n - 1) * chi2 / denominator
    return float(f), float(stats.f.sf(f, k - 1, (k - 1) * (n - 1)))


def critical_difference(n_tasks, n_activations, alpha=0.05):
    """Nemenyi's critical difference of average ranks (Demšar 2006, eq. 5):
    q_alpha sqrt(k(k+1) / 6N), q_alpha the studentized range quantile / sqrt 2."""
    k, n = n_activations, n_tasks
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(k * (k + 1) / (6.0 * n)))


def no_verdict_reason(ranks, variants):
    """Why no test can run on this rank matrix, or None."""
    unit = "tasks (data set, variant)" if variants else "data sets"
    n_tasks, n_activations = ranks.shape
    if n_tasks < MIN_TASKS:
        return f"the Friedman test needs at least {MIN_TASKS} {unit}; this run has {n_tasks}: no overall verdict"
    if n_activations < MIN_ACTIVATIONS:
        return (
            f"the Friedman test needs at least {MIN_ACTIVATIONS} activations; this run has {n_activations}: "
            "no overall verdict"
        )
    if (ranks.nunique(axis=1) == 1).all():
        return (
            f"every activation scores the same on every one of the {unit} (a constant matrix): the Friedman test "
            "is undefined: no overall verdict"
        )
    return None


def compare_overall(summary, alpha=0.05):
    """The overall comparison as a dict: ranks (tasks x activations), mean_ranks
    (best first), and the tests, or ``reason`` why they could not run."""
    ranks, scores = rank_matrix(summary)
    variants = "model" in summary.columns
    mean_ranks = ranks.mean(axis=0).sort_values(kind="stable")
    result = {
        "alpha": alpha,
        "variants": variants,
        "metric": ranked_metric(summary),
        "ranks": ranks,
        "scores": scores,
        "mean_ranks": mean_ranks,
        "no_finished_run": scores.isna().sum(axis=0),
        "reason": no_verdict_reason(ranks, variants),
        "chi2": np.nan,
        "p": np.nan,
        "f": np.nan,
        "p_f": np.nan,
        "cd": np.nan,
        "p_values": None,
        "rejected": False,
        "groups": {a: "" for a in mean_ranks.index},
    }
    if result["reason"]:
        return result
    n_tasks, n_activations = ranks.shape
    friedman = stats.friedmanchisquare(*(ranks[a].to_numpy() for a in ranks.columns))
    chi2 = float(friedman.statistic)
    f, p_f = iman_davenport(chi2, n_tasks, n_activations)
    result.update(chi2=chi2, p=float(friedman.pvalue), f=f, p_f=p_f)
    result["cd"] = critical_difference(n_tasks, n_activations, alpha)
    # Demšar: the post-hoc test only after the omnibus test rejects, judged by
    # the Iman-Davenport form he recommends (the chi2 form is conservative).
    result["rejected"] = p_f < alpha
    order = list(mean_ranks.index)
    if result["rejected"]:
        import scikit_posthocs

        p_values = scikit_posthocs.posthoc_nemenyi_friedman(ranks)
        result["p_values"] = p_values.loc[order, order]
        separated = lambda x, y: result["p_values"].at[x, y] < alpha  # noqa: E731
    else:
        separated = lambda x, y: False  # noqa: E731
    result["groups"] = dict(zip(order, letter_groups(order, separated)))
    return result


def posthoc_name(result):
    if result["reason"]:
        return "none (no overall verdict)"
    if not result["rejected"]:
        return "none (the Friedman test did not reject)"
    return POSTHOC


def table(result):
    """results/overall.csv: one row per activation, best average rank first."""
    ranks, mean_ranks = result["ranks"], result["mean_ranks"]
    frame = pd.DataFrame(
        {
            "activation": mean_ranks.index,
            "mean_rank": mean_ranks.to_numpy(),
            "group": [result["groups"][a] for a in mean_ranks.index],
            "n_tasks": [int(len(ranks))] * len(mean_ranks),
            "n_tasks_no_finished_run": [int(result["no_finished_run"][a]) for a in mean_ranks.index],
        }
    )
    for task in ranks.index:
        frame[f"rank_{task.replace(' · ', '_')}"] = ranks.loc[task, mean_ranks.index].to_numpy()
    frame["friedman_chi2"] = result["chi2"]
    frame["friedman_p"] = result["p"]
    frame["iman_davenport_f"] = result["f"]
    frame["iman_davenport_p"] = result["p_f"]
    frame["critical_difference"] = result["cd"]
    frame["alpha"] = result["alpha"]
    frame["posthoc"] = posthoc_name(result)
    frame["verdict"] = result["reason"] or verdict(result)
    return frame


def _p(value):
    return f"{value:.2g}" if value >= 1e-4 else f"{value:.1e}"


def verdict(result):
    """One sentence: what the tests say, or why there are none."""
    if result["reason"]:
        return result["reason"]
    n_tasks = len(result["ranks"])
    groups = result["groups"]
    if not result["rejected"]:
        return f"no activation is significantly better or worse than another across the {n_tasks} tasks"
    best = [a for a in result["mean_ranks"].index if set(groups[a]) & set(groups[result["mean_ranks"].index[0]])]
    if len(best) == 1:
        return f"{best[0]} is best across the {n_tasks} tasks: no other activation shares its group"
    return f"{', '.join(best)} share the best group across the {n_tasks} tasks: the tests do not separate them"


def markdown(result):
    """results/overall.md: the table, the tests in words, the caveats."""
    ranks, mean_ranks, alpha = result["ranks"], result["mean_ranks"], result["alpha"]
    n_tasks, k = ranks.shape
    tasks = list(ranks.index)
    lines = ["## One answer across data sets", ""]
    if result["reason"]:
        lines += [f"**No test:** {result['reason']}. The average ranks below are descriptive only.", ""]
    lines += [
        "| mean rank | group | activation | " + " | ".join(tasks) + " |",
        "|---:|:---:|---|" + "---:|" * len(tasks),
    ]
    for activation, mean in mean_ranks.items():
        cells = " | ".join(f"{ranks.at[t, activation]:g}" for t in tasks)
        lines.append(f"| {mean:.2f} | {result['groups'][activation] or '-'} | {activation} | {cells} |")
    lines += [
        "",
        f"Rank within each of the {n_tasks} task(s) by mean final {result['metric']} over seeds (1 = lowest; "
        "ties share the average rank; an activation with no finished run ranks last). Mean rank: over the tasks."
        + (" The scores are on the test split." if result["metric"] == "test_loss" else ""),
        "",
    ]
    if not result["reason"]:
        lines.append(
            f"Friedman test (scipy.stats.friedmanchisquare, {k} activations, {n_tasks} tasks): "
            f"chi2 = {result['chi2']:.3f}, p = {_p(result['p'])}; Iman-Davenport F form (computed from chi2, as "
            f"Demšar 2006 recommends): F = {result['f']:.3f}, p = {_p(result['p_f'])}, alpha = {alpha}."
        )
        lines.append("")
        if result["rejected"]:
            lines.append(
                f"The activations differ across tasks. Post-hoc: {POSTHOC}, critical difference of mean ranks "
                f"CD = {result['cd']:.2f}; activations sharing a group letter are not significantly different. "
                f"Verdict: {verdict(result)}."
            )
        else:
            lines.append(
                f"The Friedman test does not reject at alpha = {alpha}: {verdict(result)}, so no post-hoc test "
                "was run and all share group a."
            )
        lines += ["", f"Caveats: {NEMENYI_CAVEAT} Each task counts once, however many seeds it has."]
    diverged = [f"{a} ({n})" for a, n in result["no_finished_run"].items() if n]
    if diverged:
        lines += ["", "Ranked last for lack of a finished run, in so many tasks: " + ", ".join(diverged) + "."]
    return "\n".join(lines) + "\n"


def plot_critical_difference(result, paths):
    """The critical-difference diagram (scikit-posthocs): average ranks on an
    axis, bars joining activations the Nemenyi test does not separate. Without
    a verdict: the average ranks, no bars, and a note saying why."""
    import scikit_posthocs

    mean_ranks = result["mean_ranks"]
    activations = list(mean_ranks.index)
    k = max(len(activations), 2)
    figure, ax = plt.subplots(figsize=(8, 1.6 + 0.35 * len(activations)))
    if result["reason"]:
        # All pairs "significant" (p = 0): no bars, which would claim a test.
        p_values = pd.DataFrame(0.0, index=activations, columns=activations)
    elif result["p_values"] is None:
        p_values = pd.DataFrame(1.0, index=activations, columns=activations)  # Friedman did not reject
    else:
        p_values = result["p_values"]
    cd = result["cd"] if result["rejected"] else None
    scikit_posthocs.critical_difference_diagram(mean_ranks, p_values, alpha=result["alpha"], ax=ax, cd=cd)
    ax.set_xlim(1 - 0.3, k + 0.3)
    ax.set_xticks(range(1, k + 1))
    bottom, _ = ax.get_ylim()
    ax.set_ylim(bottom, 1.6)  # room above the axis for the CD bar and the title
    n_tasks = len(result["ranks"])
    if result["reason"]:
        title = f"Average ranks over {n_tasks} task(s), descriptive only: no test"
        figure.text(0.5, 0.01, "No test: " + result["reason"], ha="center", va="bottom", color="firebrick", wrap=True)
    elif result["rejected"]:
        title = (
            f"Average ranks over {n_tasks} tasks; bars join activations the Nemenyi test does not separate "
            f"(alpha = {result['alpha']})\nFriedman p = {_p(result['p'])}, Iman-Davenport p = {_p(result['p_f'])}"
        )
    else:
        title = (
            f"Average ranks over {n_tasks} tasks; the Friedman test does not reject (Iman-Davenport "
            f"p = {_p(result['p_f'])}): one bar joins all"
        )
    ax.set_title(title, fontsize=9)
    save(figure, paths)


def write_overall(summary_path, alpha, table_path, markdown_path, figure_paths):
    """results/overall.csv, overall.md and the critical-difference diagram."""
    summary = pd.read_csv(summary_path)
    if "tuning" in summary.columns:  # the verdict across data sets is the tuned one
        summary = summary[summary["tuning"] == "tuned"].drop(columns="tuning")
    result = compare_overall(summary, alpha=alpha)
    table(result).to_csv(table_path, index=False)
    with open(markdown_path, "w") as handle:
        handle.write(markdown(result))
    plot_critical_difference(result, figure_paths)
    return result
