"""Adaptive seeds: start with a few seeds, add more only while a pair of
activations is undecided, up to a maximum (config ``seeds: {start, add, max}``).

The workflow judges a task after each *look* (a checkpoint per data set and
look, workflow/rules/adaptive.smk). Error control across all looks and all
pairs: Bonferroni over the planned looks. Each look tests every pair at level
``alpha / n_looks`` (Holm within the look, as actzoo.ranking.compare does at a
fixed design), so the chance of any false verdict over all looks is at most
``alpha`` per family (difference tests, TOSTs), whatever the data make the
procedure do. docs/statistics.md says why this bound and not AdaStop.

A pair's first decided verdict is final: later looks (taken for the pairs
still open) do not revisit it.
"""

import itertools
import json

import pandas as pd

from actzoo.aggregate import read_metrics, runs_table
from actzoo.looks import plan, read_decision
from actzoo.paired_tests import (
    DIFFERENT,
    UNDECIDED,
    equivalence_test,
    holm,
    paired_test,
    verdict,
    wilcoxon_min_pairs,
)
from actzoo.scores import ranked_metric

DECIDED = "decided"
REACHED_MAX = "reached max"


def look_level(alpha, n_looks):
    """Each look's level: Bonferroni over the planned looks."""
    return alpha / n_looks


def decide(scores, level, smallest_effect):
    """One look: every pair of ``scores``' columns (activations; rows are
    seeds, NaN for a diverged run) judged as actzoo.ranking.compare judges it,
    at ``level``. Returns one dict per pair: activation_a, activation_b,
    n_pairs, verdict, better (the lower score, for a different pair)."""
    pairs = list(itertools.combinations(scores.columns, 2))
    wilcoxon_from = wilcoxon_min_pairs(len(pairs), level)
    rows, p_values, tost_p_values = [], [], []
    for first, second in pairs:
        pair = scores[[first, second]].dropna()
        p_values.append(paired_test(pair[first], pair[second], wilcoxon_from)[1])
        tost_p_values.append(equivalence_test(pair[first], pair[second], smallest_effect))
        lower = first if pair[first].mean() < pair[second].mean() else second
        rows.append({"activation_a": first, "activation_b": second, "n_pairs": len(pair), "_lower": lower})
    for row, p, tost_p in zip(rows, holm(p_values), holm(tost_p_values), strict=True):
        row["verdict"] = verdict(p < level, tost_p < level)  # NaN (untested) -> undecided
        lower = row.pop("_lower")
        row["better"] = lower if row["verdict"] == DIFFERENT else None
    return rows


def next_look(scores, seeds, look, alpha, smallest_effect, previous=None):
    """The decision after look ``look`` (1-based) of the plan of ``seeds``
    (the config mapping): every pair's verdict so far (a pair decided at an
    earlier look, in ``previous``, keeps it), the seeds of the next look, or
    why the task stops: all pairs decided, or the maximum reached."""
    looks = plan(seeds)
    level = look_level(alpha, len(looks))
    settled = {
        (p["activation_a"], p["activation_b"]): p
        for p in (previous or {}).get("pairs", [])
        if p["verdict"] != UNDECIDED
    }
    pairs = []
    for row in decide(scores, level, smallest_effect):
        key = (row["activation_a"], row["activation_b"])
        pairs.append(settled.get(key) or {**row, "seeds": len(looks[look - 1]), "look": look})
    open_pairs = [p for p in pairs if p["verdict"] == UNDECIDED]
    stopped = None if open_pairs and look < len(looks) else REACHED_MAX if open_pairs else DECIDED
    for pair in pairs:
        pair["stopped"] = pair["verdict"] if pair["verdict"] != UNDECIDED else (stopped or "open")
    return {
        "look": look,
        "n_looks": len(looks),
        "level": level,
        "seeds": looks[look - 1],
        "next_seeds": [] if stopped else looks[look],
        "stopped": stopped,
        "pairs": pairs,
    }


def look_scores(metrics_paths):
    """Runs' final ranked scores (NaN where diverged): seeds by activation,
    activations in the order of the runs."""
    runs = runs_table(read_metrics(metrics_paths))
    metric = ranked_metric(runs)
    values = runs[metric].where(~runs["diverged"].astype(bool))
    table = runs.assign(value=values.astype(float))
    order = list(dict.fromkeys(table["activation"]))
    return table.pivot(index="seed", columns="activation", values="value")[order]


def write_look(metrics_paths, seeds, look, alpha, smallest_effect, previous_path, output):
    """The checkpoint's job: judge the look's runs and write the decision (JSON)."""
    previous = read_decision(previous_path) if previous_path else None
    decision = next_look(look_scores(metrics_paths), seeds, look, alpha, smallest_effect, previous)
    with open(output, "w") as handle:
        json.dump(decision, handle, indent=1)


def pairs_table(decisions):
    """{task: decision} as the columns comparisons.csv gains: per pair the
    seeds it took, its sequential verdict and why it stopped."""
    rows = [
        {
            "dataset": dataset,
            "activation_a": pair["activation_a"],
            "activation_b": pair["activation_b"],
            "adaptive_seeds": pair["seeds"],
            "adaptive_verdict": pair["verdict"],
            "adaptive_better": pair["better"],
            "stopped": pair["stopped"],
        }
        for dataset, decision in decisions.items()
        for pair in decision["pairs"]
    ]
    return pd.DataFrame(rows)


def stop_lines(decisions):
    """Markdown: per task, how many seeds it took and why it stopped, then per pair."""
    lines = ["## Adaptive seeds", ""]
    for dataset, decision in decisions.items():
        why = "every pair decided" if decision["stopped"] == DECIDED else "reached max with pairs undecided"
        lines.append(
            f"- {dataset}: {len(decision['seeds'])} seeds, look {decision['look']} of {decision['n_looks']}, "
            f"stopped: {why} (each look at level {decision['level']:.4g})"
        )
        for pair in decision["pairs"]:
            said = pair["verdict"] + (f", {pair['better']} better" if pair["better"] else "")
            lines.append(
                f"  - {pair['activation_a']} vs {pair['activation_b']}: {said} after {pair['seeds']} seeds "
                f"(stopped: {pair['stopped']})"
            )
    lines += [
        "",
        "Sequential verdicts (docs/statistics.md, Adaptive seeds): Bonferroni over the planned looks, Holm within "
        "each; the tables above test all seeds at once at level alpha and do not account for the looks.",
    ]
    return "\n".join(lines) + "\n"


def annotate_summary(decision_paths, datasets, comparisons_path, markdown_path):
    """Add the adaptive columns to comparisons.csv and the stop lines to summary.md."""
    decisions = {dataset: read_decision(path) for dataset, path in zip(datasets, decision_paths, strict=True)}
    comparisons = pd.read_csv(comparisons_path)
    keys = ["dataset", "activation_a", "activation_b"]
    comparisons.merge(pairs_table(decisions), on=keys, how="left").to_csv(comparisons_path, index=False)
    with open(markdown_path, "a") as handle:
        handle.write("\n" + stop_lines(decisions))
