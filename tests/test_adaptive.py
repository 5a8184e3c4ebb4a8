"""Adaptive seeds (actzoo/adaptive.py, docs/statistics.md): the plan of
looks, the decision of one look, the error control across looks and pairs
on simulated scores, and an end-to-end run of the checkpoints."""

import numpy as np
import pandas as pd

from actzoo.adaptive import DECIDED, REACHED_MAX, decide, look_level, next_look, plan
from actzoo.stats import DIFFERENT, EQUIVALENT, UNDECIDED

SEEDS = {"start": [1, 2, 3, 4], "add": 2, "max": 10}


def test_plan_adds_seeds_numbered_on_from_the_start_up_to_max():
    assert plan(SEEDS) == [[1, 2, 3, 4], [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7, 8], list(range(1, 11))]
    assert plan({"start": [10, 3], "add": 3, "max": 4}) == [[10, 3], [10, 3, 11, 12]]
    assert plan({"start": [1, 2], "add": 1, "max": 2}) == [[1, 2]]


def scores(columns):
    return pd.DataFrame(columns)


def test_decide_separates_a_clear_difference_and_names_the_lower_loss_better():
    table = scores({"relu": [0.10, 0.11, 0.12, 0.10, 0.13], "sigmoid": [0.60, 0.62, 0.61, 0.65, 0.63]})
    [pair] = decide(table, 0.05, 0.01)
    assert (pair["verdict"], pair["better"], pair["n_pairs"]) == (DIFFERENT, "relu", 5)


def test_decide_calls_identical_scores_equivalent_and_noise_undecided():
    same = [0.3, 0.31, 0.29, 0.35]
    [pair] = decide(scores({"relu": same, "leaky": same}), 0.05, 0.01)
    assert (pair["verdict"], pair["better"]) == (EQUIVALENT, None)
    [pair] = decide(scores({"a": [0.3, 0.5, 0.2, 0.4], "b": [0.4, 0.3, 0.35, 0.3]}), 0.05, 0.01)
    assert pair["verdict"] == UNDECIDED


def test_a_diverged_run_leaves_its_seed_out_of_the_pair():
    table = scores({"relu": [0.1, 0.11, np.nan, 0.1], "tanh": [0.6, 0.62, 0.61, 0.65]})
    [pair] = decide(table, 0.05, 0.01)
    assert pair["n_pairs"] == 3


def test_next_look_continues_while_a_pair_is_open_and_keeps_decided_verdicts():
    clear = [0.10, 0.11, 0.12, 0.10, 0.13, 0.12, 0.11, 0.10, 0.12, 0.11]
    table = scores({"relu": clear, "sigmoid": [c + 0.5 for c in clear], "tanh": [0.3, 0.5, 0.2, 0.4] * 2 + [0.3, 0.5]})
    first = next_look(table.iloc[:4], SEEDS, 1, 0.05, 0.01)
    assert first["level"] == look_level(0.05, 4) == 0.0125
    assert first["stopped"] is None and first["next_seeds"] == [1, 2, 3, 4, 5, 6]
    decided = {(p["activation_a"], p["activation_b"]): p for p in first["pairs"]}
    assert decided["relu", "sigmoid"]["verdict"] == DIFFERENT and decided["relu", "sigmoid"]["seeds"] == 4
    # A later look that would see it otherwise does not revisit a decided pair.
    flipped = table.assign(sigmoid=table["relu"])
    second = next_look(flipped.iloc[:6], SEEDS, 2, 0.05, 0.01, first)
    kept = {(p["activation_a"], p["activation_b"]): p for p in second["pairs"]}["relu", "sigmoid"]
    assert (kept["verdict"], kept["seeds"], kept["look"]) == (DIFFERENT, 4, 1)


def test_next_look_stops_when_all_are_decided_or_at_max():
    clear = [0.10, 0.11, 0.12, 0.10]
    done = next_look(scores({"relu": clear, "sigmoid": [c + 0.5 for c in clear]}), SEEDS, 1, 0.05, 0.01)
    assert (done["stopped"], done["next_seeds"], done["pairs"][0]["stopped"]) == (DECIDED, [], DIFFERENT)
    noise = scores(
        {"a": [0.3, 0.5, 0.2, 0.4, 0.3, 0.5, 0.2, 0.4, 0.3, 0.5], "b": [0.4, 0.3, 0.35, 0.3] * 2 + [0.4, 0.3]}
    )
    last = next_look(noise, SEEDS, 4, 0.05, 0.01)
    assert (last["stopped"], last["pairs"][0]["stopped"], last["pairs"][0]["seeds"]) == (REACHED_MAX, REACHED_MAX, 10)


def simulate(rng, n_activations, shift, seeds, alpha=0.05, smallest_effect=0.01):
    """One adaptive sweep on synthetic paired scores: activation 0 is
    ``shift`` above the others; a per-seed effect shared by all activations
    makes the scores paired. Returns the last decision."""
    looks = plan(seeds)
    n = len(looks[-1])
    values = rng.normal(0, 1, size=(n, 1)) + rng.normal(0, 1, size=(n, n_activations))
    values[:, 0] += shift
    table = pd.DataFrame(values, columns=[f"a{i}" for i in range(n_activations)])
    decision = None
    for look, judged in enumerate(looks, start=1):
        decision = next_look(table.iloc[: len(judged)], seeds, look, alpha, smallest_effect, decision)
        if decision["stopped"]:
            return decision
    raise AssertionError("the plan ended without a stop")


REPETITIONS = 300


def test_family_wise_false_positive_rate_over_all_looks_and_pairs_is_at_most_alpha():
    """On null scores (no true difference, all 3 pairs), the chance that any
    pair is ever called different is <= alpha, within a binomial margin of
    three standard errors. The plan has 4 looks: without the Bonferroni
    split over looks the rate would exceed this."""
    rng = np.random.default_rng(22)
    errors = [any(p["verdict"] == DIFFERENT for p in simulate(rng, 3, 0.0, SEEDS)["pairs"]) for _ in range(REPETITIONS)]
    margin = 3 * np.sqrt(0.05 * 0.95 / REPETITIONS)
    assert np.mean(errors) <= 0.05 + margin


def test_a_large_true_difference_stops_early_with_high_probability():
    """A true difference of 8 noise SDs (d_z about 5.7, as sigmoid against
    relu on the circles at a low learning rate): the one pair is decided at
    the first look, 4 seeds of the 10, almost always."""
    rng = np.random.default_rng(7)
    first_look = []
    for _ in range(200):
        decision = simulate(rng, 2, 8.0, SEEDS)
        [pair] = decision["pairs"]
        first_look.append(decision["stopped"] == DECIDED and pair["look"] == 1 and pair["verdict"] == DIFFERENT)
    assert np.mean(first_look) >= 0.95
