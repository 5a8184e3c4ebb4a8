"""Robust aggregates over runs (Agarwal et al. 2021, "Deep RL at the Edge of
the Statistical Precipice"): the mean and the interquartile mean (IQM) per
activation, the probability of improvement per pair of activations, and the
performance profile, each with a stratified-bootstrap 95% interval.

The common scale is the accuracy on the ranked split (test_accuracy with a
test split, else val_accuracy), as is: it lies in [0, 1] on every data set and
higher is better, which the probability of improvement and the profile need;
the losses are not comparable across data sets (their scale grows with the
number of classes). Diverged runs are left out (their scores are not
results) and counted in ``n_diverged``.

The bootstrap is ``scipy.stats.bootstrap`` with one sample per task: it
resamples each sample on its own, which is exactly the stratified bootstrap
(seeds resampled within each task). rliable, the reference implementation,
is archived; scipy's is maintained and does the stratification by its
multi-sample resampling. Percentile intervals, as rliable's. Every interval
starts from a generator seeded with ``seed``, so outputs are deterministic and
do not depend on the order they are computed in.
"""

import itertools

import numpy as np
import pandas as pd
from scipy import stats

from actzoo.scores import accuracy_of, ranked_metric, task_columns

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 0
LEVEL = 0.95
# The thresholds tau of the performance profile, on the accuracy scale.
PROFILE_TAUS = np.round(np.linspace(0.0, 1.0, 101), 2)


def common_scores(runs):
    """Every finished run on the common scale: columns task (a label), activation, seed, score."""
    metric = accuracy_of(ranked_metric(runs))
    finished = runs[~runs["diverged"].astype(bool)]
    labels = [" · ".join(map(str, task)) for task in zip(*(finished[k] for k in task_columns(runs)))]
    return pd.DataFrame(
        {
            "task": labels,
            "activation": finished["activation"].to_numpy(),
            "seed": finished["seed"].to_numpy(),
            "score": finished[metric].to_numpy(dtype=float),
        }
    )


def iqm(values, axis=-1):
    """Interquartile mean: the mean of the middle 50% (scipy's trim_mean, 25% cut each side)."""
    return stats.trim_mean(values, 0.25, axis=axis)


def pooled_mean(*strata, axis=-1):
    return np.mean(np.concatenate(strata, axis=axis), axis=axis)


def pooled_iqm(*strata, axis=-1):
    return iqm(np.concatenate(strata, axis=axis), axis=axis)


def stratified_interval(strata, statistic, resamples=DEFAULT_RESAMPLES, seed=DEFAULT_SEED):
    """(point, low, high): ``statistic(*strata)`` and its percentile interval
    from a bootstrap that resamples each stratum on its own. ``statistic``
    takes the strata and ``axis`` (vectorised over leading axes); a vector
    result has its values along the first axis. NaN interval when a stratum has
    fewer than two values (nothing to resample)."""
    strata = [np.asarray(s, dtype=float) for s in strata]
    point = statistic(*strata, axis=-1)
    if any(len(s) < 2 for s in strata):
        nan = np.full(np.shape(point), np.nan)
        return point, nan, nan
    result = stats.bootstrap(
        strata,
        statistic,
        n_resamples=resamples,
        confidence_level=LEVEL,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return point, result.confidence_interval.low, result.confidence_interval.high


def strata_of(scores, activation):
    """{task: that activation's scores} in the order the tasks come."""
    table = scores[scores["activation"] == activation]
    return {task: group["score"].to_numpy() for task, group in table.groupby("task", sort=False)}


def aggregates(runs, resamples=DEFAULT_RESAMPLES, seed=DEFAULT_SEED):
    """Per activation over every (task, seed) run: the mean and the IQM of the
    common score, each with its stratified-bootstrap 95% interval."""
    scores = common_scores(runs)
    rows = []
    for activation in dict.fromkeys(runs["activation"]):
        strata = list(strata_of(scores, activation).values())
        row = {
            "activation": activation,
            "n_tasks": len(strata),
            "n_runs": int(sum(len(s) for s in strata)),
            "n_diverged": int(runs.loc[runs["activation"] == activation, "diverged"].astype(bool).sum()),
        }
        for name, statistic in (("mean", pooled_mean), ("iqm", pooled_iqm)):
            point, low, high = (np.nan,) * 3
            if strata:
                point, low, high = stratified_interval(strata, statistic, resamples, seed)
            row |= {name: float(point), f"{name}_ci95_low": float(low), f"{name}_ci95_high": float(high)}
        rows.append(row)
    return pd.DataFrame(rows)


def mann_whitney_probability(x, y):
    """P(X > Y) + 0.5 P(X = Y) over all pairs of x's and y's values (last axis)."""
    x, y = x[..., :, None], y[..., None, :]
    return np.mean(x > y, axis=(-2, -1)) + 0.5 * np.mean(x == y, axis=(-2, -1))


def probability_of_improvement_statistic(*strata, axis=-1):
    """rliable's probability of improvement from strata x_1, y_1, x_2, y_2, ...:
    the Mann-Whitney probability per task, averaged over the tasks."""
    pairs = zip(strata[0::2], strata[1::2])
    return np.mean([mann_whitney_probability(x, y) for x, y in pairs], axis=0)


def improvement(runs, resamples=DEFAULT_RESAMPLES, seed=DEFAULT_SEED):
    """Every ordered pair of activations: P(X > Y) on the common score, over
    the tasks both have finished runs on, with its stratified-bootstrap 95%
    interval (X's and Y's seeds are resampled independently within each task).
    P(Y > X) = 1 - P(X > Y), so each unordered pair is bootstrapped once."""
    scores = common_scores(runs)
    activations = list(dict.fromkeys(runs["activation"]))
    by_activation = {a: strata_of(scores, a) for a in activations}
    rows = []
    for x, y in itertools.combinations(activations, 2):
        tasks = [t for t in by_activation[x] if t in by_activation[y]]
        strata = [s for t in tasks for s in (by_activation[x][t], by_activation[y][t])]
        point, low, high = (np.nan,) * 3
        if tasks:
            point, low, high = stratified_interval(strata, probability_of_improvement_statistic, resamples, seed)
        common = {"n_tasks": len(tasks)}
        rows.append({"activation_x": x, "activation_y": y, "probability": point, "ci95_low": low, "ci95_high": high})
        rows.append(
            {"activation_x": y, "activation_y": x, "probability": 1 - point, "ci95_low": 1 - high, "ci95_high": 1 - low}
        )
        rows[-2] |= common
        rows[-1] |= common
    columns = ["activation_x", "activation_y", "n_tasks", "probability", "ci95_low", "ci95_high"]
    return pd.DataFrame(rows, columns=columns).astype({c: float for c in columns[3:]})


def profile_statistic(*strata, axis=-1):
    """The fraction of runs scoring at least tau, per task, averaged over the
    tasks (so every task weighs the same); one value per tau, first axis."""
    fractions = [np.mean(s[..., None, :] >= PROFILE_TAUS[:, None], axis=-1) for s in strata]
    return np.moveaxis(np.mean(fractions, axis=0), -1, 0)


def performance_profile(runs, resamples=DEFAULT_RESAMPLES, seed=DEFAULT_SEED):
    """Per activation and tau: the fraction of runs scoring >= tau, with its
    stratified-bootstrap 95% band."""
    scores = common_scores(runs)
    frames = []
    for activation in dict.fromkeys(runs["activation"]):
        strata = list(strata_of(scores, activation).values())
        if not strata:
            continue
        point, low, high = stratified_interval(strata, profile_statistic, resamples, seed)
        frames.append(
            pd.DataFrame(
                {"activation": activation, "tau": PROFILE_TAUS, "fraction": point, "ci95_low": low, "ci95_high": high}
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def interval(point, low, high):
    """``0.912 [0.901, 0.925]``, or the point alone without an interval."""
    if not np.isfinite(point):
        return "-"
    return f"{point:.3f} [{low:.3f}, {high:.3f}]" if np.isfinite(low) else f"{point:.3f}"


def markdown(aggregate, pairs, metric):
    """Markdown: the IQM and mean table and the P(X > Y) matrix."""
    lines = [
        f"| activation | IQM of {metric} (95% CI) | mean (95% CI) | runs | tasks | diverged |",
        "|---|---|---|---:|---:|---:|",
    ]
    for _, row in aggregate.iterrows():
        iqm_cell = interval(row["iqm"], row["iqm_ci95_low"], row["iqm_ci95_high"])
        mean_cell = interval(row["mean"], row["mean_ci95_low"], row["mean_ci95_high"])
        lines.append(
            f"| {row.activation} | {iqm_cell} | {mean_cell} | {row.n_runs} | {row.n_tasks} | {row.n_diverged} |"
        )
    activations = list(aggregate["activation"])
    if len(activations) > 1:
        lookup = pairs.set_index(["activation_x", "activation_y"])
        lines += ["", "P(row > column) (95% CI):", "", "| | " + " | ".join(activations) + " |"]
        lines.append("|---|" + "---|" * len(activations))
        for x in activations:
            cells = [
                "" if x == y else interval(*lookup.loc[(x, y), ["probability", "ci95_low", "ci95_high"]])
                for y in activations
            ]
            lines.append(f"| {x} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


NOTE = (
    "IQM = interquartile mean (the mean of the middle half of the runs); intervals are 95% stratified-bootstrap "
    "percentile intervals (seeds resampled within each task); P(row > column) is the probability that a run of "
    "the row scores higher than a run of the column on the same task (ties count half), averaged over the tasks; "
    "diverged runs are left out. docs/statistics.md."
)


def per_task_markdown(runs, resamples=DEFAULT_RESAMPLES, seed=DEFAULT_SEED):
    """summary.md's section: per task, the IQM and mean over seeds and the P(X > Y) matrix."""
    keys = task_columns(runs)
    metric = accuracy_of(ranked_metric(runs))
    lines = [f"## Robust aggregates of {metric} per task", ""]
    for task, table in runs.groupby(keys, sort=False):
        aggregate, pairs = aggregates(table, resamples, seed), improvement(table, resamples, seed)
        lines += [f"### {' · '.join(map(str, task))}", "", markdown(aggregate, pairs, metric)]
    return "\n".join(lines + [NOTE]) + "\n"


def write_tables(runs_path, resamples, seed, aggregate_path, improvement_path, profile_path):
    """robust.csv, improvement.csv and profile.csv across data sets; returns
    overall.md's section on them."""
    runs = pd.read_csv(runs_path)
    aggregate, pairs = aggregates(runs, resamples, seed), improvement(runs, resamples, seed)
    aggregate.to_csv(aggregate_path, index=False)
    pairs.to_csv(improvement_path, index=False)
    performance_profile(runs, resamples, seed).to_csv(profile_path, index=False)
    metric = accuracy_of(ranked_metric(runs))
    title = f"## Robust aggregates of {metric} across data sets"
    return "\n".join([title, "", markdown(aggregate, pairs, metric), NOTE]) + "\n"
