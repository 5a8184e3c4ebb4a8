"""Adaptive seeds (actzoo/adaptive.py, docs/statistics.md): the plan of
looks, the decision of one look, the error control across looks and pairs
on simulated scores, and an end-to-end run of the checkpoints."""

import json

import numpy as np
import pandas as pd
import pytest

from actzoo.adaptive import DECIDED, REACHED_MAX, decide, look_level, next_look
from actzoo.looks import plan
from actzoo.paired_tests import DIFFERENT, EQUIVALENT, UNDECIDED
from conftest import TINY_CONFIG, copy_workflow, planned_jobs, snakemake, write_config

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
    assert set(pair) == {"activation_a", "activation_b", "n_pairs", "verdict", "better"}  # what the JSON holds


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


# sigmoid at a low learning rate cannot separate the circles and relu can: a
# large difference. On circles drowned in noise (noise 3.0) neither learns: a
# null pair, different by a few hundredths either way, never within delta.
ADAPTIVE_CONFIG = {
    **TINY_CONFIG,
    "seeds": {"start": [1, 2, 3, 4], "add": 1, "max": 5},
    "activations": ["sigmoid", "relu"],
    "datasets": {
        "circles": {"generator": "circles", "n_samples": 120},
        "noise": {"generator": "circles", "n_samples": 120, "noise": 3.0},
    },
    "training": {**TINY_CONFIG["training"], "epochs": 30, "learning_rate": 0.01},
    "statistics": {"smallest_effect": 0.0001},
}


def trained(workdir):
    """{run directory: mtime of its metrics.json} of every evaluation run."""
    return {path.parent: path.stat().st_mtime_ns for path in (workdir / "results" / "runs").glob("*/*/*/metrics.json")}


def last_look(workdir, dataset):
    looks = sorted((workdir / "results" / "adaptive" / dataset).glob("look*.json"))
    return json.loads(looks[-1].read_text())


@pytest.mark.slow
def test_adaptive_sweep_stops_early_for_a_large_difference_runs_to_max_for_a_null_pair_and_resumes(tmp_path):
    workdir = copy_workflow(tmp_path / "run", ADAPTIVE_CONFIG)
    snakemake(workdir)
    circles, noise = last_look(workdir, "circles"), last_look(workdir, "noise")
    assert (circles["look"], circles["stopped"], circles["seeds"]) == (1, DECIDED, [1, 2, 3, 4])
    assert circles["pairs"][0] == {
        "activation_a": "sigmoid",
        "activation_b": "relu",
        "n_pairs": 4,
        "verdict": DIFFERENT,
        "better": "relu",
        "seeds": 4,
        "look": 1,
        "stopped": DIFFERENT,
    }
    assert (noise["look"], noise["stopped"], noise["seeds"]) == (2, REACHED_MAX, [1, 2, 3, 4, 5])
    assert noise["pairs"][0]["verdict"] == UNDECIDED
    first = trained(workdir)
    seeds = sorted((run.parts[-3], run.parts[-1]) for run in first)
    assert seeds == sorted(
        [("circles", f"seed{s}") for s in range(1, 5)] * 2 + [("noise", f"seed{s}") for s in range(1, 6)] * 2
    )
    comparisons = pd.read_csv(workdir / "results" / "comparisons.csv").set_index("dataset")
    assert comparisons.loc["circles", ["adaptive_seeds", "stopped"]].tolist() == [4, DIFFERENT]
    assert comparisons.loc["noise", ["adaptive_seeds", "stopped"]].tolist() == [5, REACHED_MAX]
    summary = (workdir / "results" / "summary.md").read_text()
    assert "- noise: 5 seeds, look 2 of 2, stopped: reached max with pairs undecided" in summary
    assert "  - sigmoid vs relu: different, relu better after 4 seeds (stopped: different)" in summary

    assert planned_jobs(workdir) == {}

    # Raising max continues: no run trains again; the null pair gets seed 6.
    write_config(workdir, {**ADAPTIVE_CONFIG, "seeds": {"start": [1, 2, 3, 4], "add": 1, "max": 6}})
    snakemake(workdir)
    second = trained(workdir)
    assert {run: second[run] for run in first} == first
    new = {(run.parts[-3], run.parts[-1]) for run in set(second) - set(first)}
    assert {("noise", "seed6")} <= new <= {("noise", "seed6"), ("circles", "seed5"), ("circles", "seed6")}
    assert last_look(workdir, "noise")["seeds"] == [1, 2, 3, 4, 5, 6]
    assert planned_jobs(workdir) == {}
