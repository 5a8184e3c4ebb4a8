"""All pairs of activations per task, and the ranks and compact letter
groups that follow from the Holm-corrected paired tests only, so activations
the tests cannot separate tie."""

import itertools

import numpy as np
import pandas as pd

from actzoo.paired_tests import (
    DEFAULT_SMALLEST_EFFECT,
    DIFFERENT,
    equivalence_test,
    holm,
    paired_test,
    seeds_needed,
    seeds_needed_equivalence,
    verdict,
    wilcoxon_min_pairs,
)
from actzoo.scores import final_values, ranked_metric, task_columns


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
        table = table.assign(value=final_values(table, metric), diverged=table["diverged"].astype(bool))
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
