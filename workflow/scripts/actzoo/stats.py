"""Seed statistics and paired comparisons between activations (scipy.stats).

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

import itertools
import warnings

import numpy as np
import pandas as pd
from scipy import stats

NOT_COMPUTED = "not computed (fewer than 2 paired seeds)"
# With n pairs, the two-sided exact Wilcoxon signed-rank test cannot give a
# p-value below 2 / 2**n (n = 5: 0.0625). Holm multiplies the smallest p-value by
# the number of comparisons m, so Wilcoxon is only used when it can reach
# significance: m * 2 / 2**n < alpha; otherwise the paired t-test is used.
WILCOXON_MIN_PAIRS = 6


def wilcoxon_min_pairs(n_comparisons=1, alpha=0.05):
    """Fewest pairs for which Holm-corrected Wilcoxon can be significant (>= 6)."""
    n = WILCOXON_MIN_PAIRS
    while max(n_comparisons, 1) * 2.0 ** (1 - n) >= alpha:
        n += 1
    return n


def confidence_interval(values, level=0.95):
    """t-based interval of the mean (scipy.stats.t); NaN when fewer than two values."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return np.nan, np.nan
    mean, sem = values.mean(), stats.sem(values)
    if sem == 0:
        return mean, mean
    low, high = stats.t.interval(level, len(values) - 1, loc=mean, scale=sem)
    return float(low), float(high)


def epochs_to_threshold(history, threshold):
    """First epoch whose val_accuracy reaches ``threshold``; None if never."""
    reached = history.loc[history["val_accuracy"] >= threshold, "epoch"]
    return int(reached.iloc[0]) if len(reached) else None


def task_columns(table):
    """What one comparison is about: a data set, or with model variants (a
    ``model`` column) a (data set, variant), and with tuning (a ``tuning``
    column: fixed or tuned settings) each of those twice. Activations are
    ranked per task."""
    return [c for c in ("dataset", "model", "tuning") if c == "dataset" or c in table.columns]


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


def holm(p_values):
    """Holm-Bonferroni adjusted p-values; NaN (untested) entries stay NaN and
    do not count as comparisons. scipy.stats only has Benjamini-Hochberg/Yekutieli
    (``false_discovery_control``), so this step-down is written out."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = len(order)
    running = 0.0
    for i, index in enumerate(order):
        running = max(running, (m - i) * p[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def paired_test(a, b, wilcoxon_from=WILCOXON_MIN_PAIRS):
    """Paired test of a vs b over the same seeds: (test name, p-value, effect size).

    Wilcoxon signed-rank from ``wilcoxon_from`` pairs on, the paired t-test
    below. Effect size is Cohen's d_z: mean difference / SD of the differences
    (+-inf when every difference is the same non-zero value).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    difference = a - b
    n = len(difference)
    test = "wilcoxon signed-rank" if n >= wilcoxon_from else "paired t"
    if n < 2:
        return NOT_COMPUTED, np.nan, np.nan
    if np.all(difference == 0):
        # Both scipy tests are undefined (NaN) here; there is no difference at all.
        return f"{test} (all differences zero)", 1.0, 0.0
    sd = difference.std(ddof=1)
    effect = difference.mean() / sd if sd > 0 else np.copysign(np.inf, difference.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "nearly identical data" precision note
        if test == "paired t":
            p = stats.ttest_rel(a, b).pvalue
        else:
            p = stats.wilcoxon(a, b).pvalue
    return test, float(p), float(effect)


# Below this |d_z| a difference is negligible (Cohen's "small" is 0.2): no
# number of seeds is advised for it, as it would be huge and meaningless.
NEGLIGIBLE_DZ = 0.2
HUGE_DZ = 1000.0
MAX_SEEDS_SEARCHED = 10_000
TARGET_POWER = 0.8


def seeds_needed(effect, n_comparisons, alpha=0.05, power=TARGET_POWER):
    """Seeds a paired test would need to separate a difference of size ``effect``
    (Cohen's d_z) with ``power``, at the corrected level alpha / n_comparisons
    (Holm's first step, so for every pair a conservative level).

    statsmodels' power of the paired t-test; where that many seeds would use
    Wilcoxon (see paired_test), scaled by Wilcoxon's asymptotic relative
    efficiency for normal differences, 3/pi. None when the effect is
    negligible (|d_z| < NEGLIGIBLE_DZ), not finite or not computed.
    """
    from statsmodels.stats.power import TTestPower

    if not np.isfinite(effect) or abs(effect) < NEGLIGIBLE_DZ:
        return None
    level = alpha / max(n_comparisons, 1)
    # The smallest whole n with enough power (solve_power's root finder
    # returns NaN where that n is below 2, i.e. for very large effects).
    # power() is NaN at n = 2 (one degree of freedom), which must not count
    # as enough: with 2 seeds the Holm-corrected test rarely separates even
    # d_z = 15 (41% in simulation), so `not >=` rather than `<`.
    # Huge effects (near-constant differences give d_z ~ 1e15) make
    # statsmodels' noncentral t NaN at every n; from d_z = 1000 on, the
    # fewest seeds have full power anyway.
    effect = min(abs(effect), HUGE_DZ)
    calculator, n = TTestPower(), 2
    while not calculator.power(effect_size=effect, nobs=n, alpha=level, alternative="two-sided") >= power:
        n += 1
        if n > MAX_SEEDS_SEARCHED:  # |d_z| >= 0.2 needs a few hundred at most
            return None
    if n >= wilcoxon_min_pairs(n_comparisons, alpha):
        n = int(np.ceil(n * np.pi / 3))
    return max(n, 2)


# statistics.smallest_effect's default, in the ranked metric's units
# (cross-entropy, in nats): exp(-loss) is the geometric mean of the
# probability a model gives the true labels, so a loss difference of 0.01
# means the two give the true labels about 1% (e**0.01) more or less
# probability; see docs/statistics.md.
DEFAULT_SMALLEST_EFFECT = 0.01


def equivalence_test(a, b, smallest_effect):
    """p-value of the paired TOST (two one-sided t-tests) that the mean of
    a - b lies within +-smallest_effect (statsmodels' ``ttost_paired``);
    NaN with fewer than two pairs.

    Differences without spread (every one the same value c, e.g. an
    activation against itself: c = 0) make statsmodels divide by a zero
    standard error (a warning, and NaN at |c| = smallest_effect). The test's
    limit is certain there: 0 if |c| < smallest_effect, else 1, so identical
    scores always come out equivalent.
    """
    from statsmodels.stats.weightstats import ttost_paired

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    difference = a - b
    if len(difference) < 2:
        return np.nan
    if np.all(difference == difference[0]):
        return 0.0 if abs(difference[0]) < smallest_effect else 1.0
    p, _, _ = ttost_paired(a, b, -smallest_effect, smallest_effect)
    return float(p)


def seeds_needed_equivalence(mean_difference, sd, smallest_effect, n_comparisons, alpha=0.05, power=TARGET_POWER):
    """Seeds the paired TOST would need to show equivalence within
    +-smallest_effect with ``power``, if the true mean difference and its SD
    are the observed ones, at the corrected level alpha / n_comparisons (as
    seeds_needed).

    statsmodels has no power function for a TOST of means, so this uses its
    one-sided t-test power for the two one-sided tests, P_low and P_upp, and
    the Bonferroni bound P(both reject) >= P_low + P_upp - 1: a lower bound on
    the power, so a conservative (high) number of seeds. None when the
    observed difference is not inside the bounds (equivalence is then not
    expected), the SD is zero or not finite, or the margin to the nearer
    bound is negligible ((smallest_effect - |mean|) / sd < NEGLIGIBLE_DZ).
    """
    from statsmodels.stats.power import TTestPower

    if not (np.isfinite(mean_difference) and np.isfinite(sd)) or sd <= 0:
        return None
    near = (smallest_effect - abs(mean_difference)) / sd
    far = (smallest_effect + abs(mean_difference)) / sd
    if near < NEGLIGIBLE_DZ:
        return None
    near, far = min(near, HUGE_DZ), min(far, HUGE_DZ)  # statsmodels' noncentral t is NaN beyond
    level = alpha / max(n_comparisons, 1)
    calculator, n = TTestPower(), 2

    def bound(nobs):
        one_sided = [calculator.power(effect_size=e, nobs=nobs, alpha=level, alternative="larger") for e in (near, far)]
        return sum(one_sided) - 1

    while not bound(n) >= power:  # `not >=`: a NaN power is not enough
        n += 1
        if n > MAX_SEEDS_SEARCHED:
            return None
    return n


DIFFERENT, EQUIVALENT, UNDECIDED = "different", "equivalent", "undecided"


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


def ranked_metric(table):
    """What the comparisons rank on: ``test_loss`` if ``table`` (runs.csv, or
    a summary with its ``_mean`` columns) has test scores, else ``val_loss``.
    A config gives every data set a test split or none (actzoo.config)."""
    return "test_loss" if {"test_loss", "test_loss_mean"} & set(table.columns) else "val_loss"


def accuracy_of(metric):
    """The accuracy reported beside ``metric``: test_accuracy for test_loss."""
    return metric.replace("loss", "accuracy")


def _final_values(runs, metric):
    """``metric`` with diverged runs set to NaN (their final values are not results)."""
    return runs[metric].where(~runs["diverged"].astype(bool))


def verdict(different, equivalent):
    """different (the Holm-corrected difference test rejects; it wins, as the
    ranks follow it), else equivalent (the Holm-corrected TOST rejects), else
    undecided. Untested pairs are neither, so undecided."""
    return DIFFERENT if different else EQUIVALENT if equivalent else UNDECIDED


def compare(runs, metric=None, alpha=0.05, smallest_effect=DEFAULT_SMALLEST_EFFECT):
    """All pairs of activations per task (see task_columns), on the seeds both
    finished.

    ``runs`` holds every run (diverged ones too): the diverged counts of both
    sides are reported, and the pair is tested on the remaining seeds.
    ``metric`` defaults to ``ranked_metric(runs)``. Besides the difference
    test each pair gets the TOST for equivalence within +-``smallest_effect``
    (in ``metric``'s units); both are Holm-corrected within the task, and
    give the ``verdict``.
    """
    metric = metric or ranked_metric(runs)
    keys = task_columns(runs)
    columns = keys + [
        "activation_a",
        "activation_b",
        "metric",
        "n_pairs",
        "n_diverged_a",
        "n_diverged_b",
        "mean_a",
        "mean_b",
        "mean_difference",
        "test",
        "p_value",
        "effect_size_dz",
        "p_holm",
        "significant",
        "seeds_needed",
        "smallest_effect",
        "tost_p_value",
        "tost_p_holm",
        "equivalent",
        "seeds_needed_equivalence",
        "verdict",
        "better",
    ]
    rows = []
    for task, table in runs.groupby(keys, sort=False):
        table = table.assign(value=_final_values(table, metric), diverged=table["diverged"].astype(bool))
        wide = table.pivot(index="seed", columns="activation", values="value")
        diverged = table.groupby("activation")["diverged"].sum()
        activations = list(dict.fromkeys(table["activation"]))
        pairs = list(itertools.combinations(activations, 2))
        wilcoxon_from = wilcoxon_min_pairs(len(pairs), alpha)
        for first, second in pairs:
            pair = wide[[first, second]].dropna()
            test, p, effect = paired_test(pair[first], pair[second], wilcoxon_from)
            difference = pair[first] - pair[second]
            rows.append(
                {
                    **dict(zip(keys, task)),
                    "activation_a": first,
                    "activation_b": second,
                    "metric": metric,
                    "n_pairs": len(pair),
                    "n_diverged_a": int(diverged[first]),
                    "n_diverged_b": int(diverged[second]),
                    "mean_a": float(pair[first].mean()) if len(pair) else np.nan,
                    "mean_b": float(pair[second].mean()) if len(pair) else np.nan,
                    "mean_difference": float((pair[first] - pair[second]).mean()) if len(pair) else np.nan,
                    "test": test,
                    "p_value": p,
                    "effect_size_dz": effect,
                    "smallest_effect": smallest_effect,
                    "tost_p_value": equivalence_test(pair[first], pair[second], smallest_effect),
                    "_sd": float(difference.std(ddof=1)) if len(pair) > 1 else np.nan,
                }
            )
    comparisons = pd.DataFrame(rows, columns=columns + ["_sd"])
    if comparisons.empty:
        return comparisons[columns]
    needed = pd.Series(pd.NA, index=comparisons.index, dtype="Int64")
    needed_equivalence = needed.copy()
    for _, family in comparisons.groupby(keys, sort=False):
        index = family.index
        comparisons.loc[index, "p_holm"] = holm(comparisons.loc[index, "p_value"])
        # The TOSTs of a task are a family of their own, Holm-corrected as the
        # difference tests are: "equivalent" then holds for all such pairs at
        # once with family-wise error alpha.
        comparisons.loc[index, "tost_p_holm"] = holm(comparisons.loc[index, "tost_p_value"])
        for row in index:
            seeds = seeds_needed(comparisons.at[row, "effect_size_dz"], len(index), alpha)
            needed[row] = pd.NA if seeds is None else seeds
            seeds = seeds_needed_equivalence(
                comparisons.at[row, "mean_difference"], comparisons.at[row, "_sd"], smallest_effect, len(index), alpha
            )
            needed_equivalence[row] = pd.NA if seeds is None else seeds
    comparisons["p_holm"] = comparisons["p_holm"].astype(float)
    comparisons["tost_p_holm"] = comparisons["tost_p_holm"].astype(float)
    comparisons["seeds_needed"] = needed
    comparisons["seeds_needed_equivalence"] = needed_equivalence
    comparisons["significant"] = comparisons["p_holm"] < alpha  # NaN (not computed) -> False
    comparisons["equivalent"] = comparisons["tost_p_holm"] < alpha
    comparisons["verdict"] = [verdict(*pair) for pair in zip(comparisons["significant"], comparisons["equivalent"])]
    lower_a = comparisons["mean_difference"] < 0  # lower loss is better
    comparisons["better"] = np.where(
        comparisons["verdict"] == DIFFERENT,
        np.where(lower_a, comparisons["activation_a"], comparisons["activation_b"]),
        None,
    )
    return comparisons[columns]


def _maximal_cliques(nodes, linked):
    """Bron-Kerbosch: the maximal sets of ``nodes`` that are pairwise ``linked``."""
    cliques = []

    def extend(clique, candidates, excluded):
        if not candidates and not excluded:
            cliques.append(clique)
            return
        for node in list(candidates):
            neighbours = {other for other in nodes if other != node and linked(node, other)}
            extend(clique | {node}, candidates & neighbours, excluded & neighbours)
            candidates = candidates - {node}
            excluded = excluded | {node}

    extend(frozenset(), set(nodes), set())
    return cliques


def letter_groups(activations, separated):
    """Compact letter display: activations sharing a letter are not significantly
    different; two activations share no letter iff ``separated(a, b)``.

    ``activations`` are in order of preference (best first); letters follow it.
    """
    position = {a: i for i, a in enumerate(activations)}
    cliques = _maximal_cliques(activations, lambda x, y: not separated(x, y))
    cliques.sort(key=lambda c: sorted(position[a] for a in c))
    letters = {a: "" for a in activations}
    for i, clique in enumerate(cliques):
        letter = chr(ord("a") + i) if i < 26 else f"[{i}]"
        for activation in sorted(clique, key=position.get):
            letters[activation] += letter
    return [letters[a] for a in activations]


def rank_groups(summary, comparisons):
    """Rank = 1 + the number of activations significantly better (lower
    ``ranked_metric``: test_loss or val_loss).

    Activations that no test separates share a rank, and the compact letter
    ``group`` states it exactly: activations sharing a letter are not
    significantly different. Without any computed test (fewer than two seeds)
    the rank is the plain order of the means (``rank_basis`` says so). An
    activation without a finished run ranks after all others.

    Returns (ranks, groups, basis), aligned with ``summary``'s rows.
    """
    keys = task_columns(summary)
    by_task = dict(list(comparisons.groupby(keys, sort=False))) if len(comparisons) else {}
    ranks, groups, bases = {}, {}, {}
    for task, table in summary.groupby(keys, sort=False):
        pairs = by_task.get(task, comparisons.iloc[0:0])
        tested = bool(len(pairs)) and bool(pairs["p_holm"].notna().any())
        means = table.set_index("activation")[f"{ranked_metric(summary)}_mean"]
        finished = means[means.notna()]
        basis = "paired tests, Holm" if tested else "means only (tests not computed)"
        significant = set()
        if tested:
            for _, pair in pairs[pairs["significant"]].iterrows():
                better, worse = (pair["activation_a"], pair["activation_b"])
                if pair["mean_difference"] > 0:
                    better, worse = worse, better
                significant.add((better, worse))
        for activation, mean in finished.items():
            if tested:
                ranks[(task, activation)] = 1 + sum((other, activation) in significant for other in finished.index)
            else:
                ranks[(task, activation)] = 1 + int((finished < mean).sum())
            bases[(task, activation)] = basis
        for activation in means.index[means.isna()]:
            ranks[(task, activation)] = len(finished) + 1
            bases[(task, activation)] = "no finished run"
        order = sorted(means.index, key=lambda a: (ranks[(task, a)], np.nan_to_num(means[a], nan=np.inf)))

        def separated(x, y):
            if np.isnan(means[x]) != np.isnan(means[y]):
                return True  # finished vs never finished
            if not tested:
                return ranks[(task, x)] != ranks[(task, y)]
            return (x, y) in significant or (y, x) in significant

        for activation, group in zip(order, letter_groups(order, separated)):
            groups[(task, activation)] = group
    rows = list(zip(zip(*(summary[k] for k in keys)), summary["activation"]))
    return [ranks[k] for k in rows], [groups[k] for k in rows], [bases[k] for k in rows]


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
    with open(markdown_path, "w") as handle:
        handle.write(text)
