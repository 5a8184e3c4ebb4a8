"""Almost stochastic order (Dror et al. 2019), optional (statistics.aso): for
each pair, epsilon_min that activation_a's runs are better than
activation_b's, from ``deepsig.aso``. 0 means a is stochastically better than
b everywhere, 0.5 neither, 1 b is; below 0.5 a is "almost" better. Scores are
the negated ranked loss, so higher is better and the question is the
difference test's. Slow: deepsig bootstraps and integrates quantile
functions per pair (about 40 s per pair at its default 1000 iterations on one
core), hence off by default.
"""

import numpy as np
import pandas as pd

from actzoo.scores import final_values, ranked_metric, task_columns

ASO_ITERATIONS = 1000
CONFIDENCE = 0.95


def epsilon_min(better, worse, n_comparisons, seed, iterations=ASO_ITERATIONS):
    """deepsig's epsilon_min that ``better`` (higher is better) is almost
    stochastically larger than ``worse``, Bonferroni-corrected for
    ``n_comparisons``; NaN when a side has fewer than two runs."""
    if min(len(better), len(worse)) < 2:
        return np.nan
    if np.array_equal(np.sort(better), np.sort(worse)):
        # deepsig divides 0 by 0 here and answers 1 ("worse is better"); the
        # same runs are neither better: 0.5.
        return 0.5
    from deepsig import aso  # imported here: it is slow to import and only needed on request

    return float(
        aso(
            np.asarray(better, dtype=float),
            np.asarray(worse, dtype=float),
            confidence_level=CONFIDENCE,
            num_comparisons=n_comparisons,
            num_bootstrap_iterations=iterations,
            seed=seed,
            num_jobs=1,
            show_progress=False,
        )
    )


def with_aso(comparisons, runs, seed, iterations=ASO_ITERATIONS):
    """``comparisons`` with an ``aso_epsilon_min`` column (a better than b),
    over every finished run of each side; the pairs of a task are one family."""
    keys = task_columns(runs)
    metric = ranked_metric(runs)
    runs = runs.assign(value=final_values(runs.assign(diverged=runs["diverged"].astype(bool)), metric))
    values = {
        group: table["value"].dropna().to_numpy() for group, table in runs.groupby(keys + ["activation"], sort=False)
    }
    sizes = comparisons.groupby(keys, sort=False)["activation_a"].transform("size")
    epsilons = []
    for index, row in comparisons.iterrows():
        task = tuple(row[k] for k in keys)
        a, b = values.get((*task, row["activation_a"]), []), values.get((*task, row["activation_b"]), [])
        epsilons.append(epsilon_min(-np.asarray(a), -np.asarray(b), int(sizes[index]), seed, iterations))
    return comparisons.assign(aso_epsilon_min=pd.Series(epsilons, index=comparisons.index, dtype=float))
