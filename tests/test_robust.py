"""Robust aggregates (IQM, probability of improvement, performance profile),
their stratified bootstrap, and the fixed design's family-wise error rate:
known answers by hand and seeded simulations, in-process."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from actzoo import robust
from actzoo.paired_tests import holm, paired_test, wilcoxon_min_pairs
from actzoo.profile_figures import improvement_matrix, plot_improvement, plot_profile


def runs_from(scores, metric="val_accuracy", diverged=()):
    """runs.csv rows for ``{dataset: {activation: [score per seed]}}``."""
    rows = []
    for dataset, by_activation in scores.items():
        for activation, values in by_activation.items():
            for seed, value in enumerate(values, start=1):
                rows.append(
                    {
                        "dataset": dataset,
                        "activation": activation,
                        "seed": seed,
                        metric.replace("accuracy", "loss"): 1 - value,
                        metric: value,
                        "diverged": (dataset, activation, seed) in diverged,
                    }
                )
    return pd.DataFrame(rows)


def test_iqm_is_the_mean_of_the_middle_half_by_hand():
    # Sorted: 0 0 1 2 | 3 10 | 20 100 -> the middle half is 1, 2, 3, 10.
    assert robust.iqm(np.array([100, 0, 3, 20, 1, 10, 2, 0])) == pytest.approx(4.0)
    assert robust.iqm(np.arange(1, 9)) == pytest.approx(4.5)


def test_iqm_across_tasks_pools_every_run():
    runs = runs_from({"a": {"relu": [0.1, 0.2, 0.3, 0.4]}, "b": {"relu": [0.5, 0.6, 0.7, 0.8]}})
    row = robust.aggregates(runs, resamples=200).iloc[0]
    assert row["iqm"] == pytest.approx(0.45)  # middle half of the eight: 0.3 ... 0.6
    assert row["mean"] == pytest.approx(0.45)
    assert row["iqm_ci95_low"] < row["iqm"] < row["iqm_ci95_high"]
    assert (row["n_tasks"], row["n_runs"], row["n_diverged"]) == (2, 8, 0)


def test_probability_of_improvement_by_hand():
    # Task a: x = 3, 4 against y = 1, 3, 5: of six pairs 3 greater and 1 tie,
    # 3/6 + 0.5 * 1/6 = 7/12. Task b: x = 1 against y = 0: 1. Mean: 19/24.
    runs = runs_from({"a": {"x": [3, 4], "y": [1, 3, 5]}, "b": {"x": [1, 1], "y": [0, 0]}})
    pairs = robust.improvement(runs, resamples=200).set_index(["activation_x", "activation_y"])
    assert pairs.at[("x", "y"), "probability"] == pytest.approx(19 / 24)
    assert pairs.at[("y", "x"), "probability"] == pytest.approx(5 / 24)
    assert pairs.at[("x", "y"), "ci95_low"] == pytest.approx(1 - pairs.at[("y", "x"), "ci95_high"])
    assert pairs.at[("x", "y"), "n_tasks"] == 2


def test_identical_scores_give_one_half_and_no_warning():
    runs = runs_from(
        {"a": {"relu": [0.9, 0.8, 0.9], "leaky_0": [0.9, 0.8, 0.9]}, "b": {"relu": [0.7] * 3, "leaky_0": [0.7] * 3}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pairs = robust.improvement(runs, resamples=200)
        aggregate = robust.aggregates(runs, resamples=200)
    assert pairs["probability"].tolist() == [0.5, 0.5]
    assert aggregate["iqm"].iloc[0] == aggregate["iqm"].iloc[1]


def test_the_common_scale_is_the_ranked_splits_accuracy_as_is():
    """Accuracy, not normalised per task: a task where everything scores
    0.99 keeps 0.99. With a test split the test accuracy, never validation."""
    runs = runs_from({"easy": {"relu": [0.99, 0.99]}, "hard": {"relu": [0.6, 0.7]}}, diverged={("hard", "relu", 2)})
    scores = robust.common_scores(runs)
    assert scores["score"].tolist() == [0.99, 0.99, 0.6]  # the diverged run is left out
    tested = runs.assign(test_loss=0.0, test_accuracy=[0.1, 0.2, 0.3, 0.4])
    assert robust.common_scores(tested)["score"].tolist() == [0.1, 0.2, 0.3]
    assert robust.aggregates(runs, resamples=200)["n_diverged"].tolist() == [1]


def test_the_bootstrap_is_deterministic_given_its_seed():
    rng = np.random.default_rng(3)
    runs = runs_from({d: {"relu": rng.uniform(size=6), "tanh": rng.uniform(size=6)} for d in "abc"})
    first = robust.aggregates(runs, resamples=300, seed=5)
    pd.testing.assert_frame_equal(first, robust.aggregates(runs, resamples=300, seed=5))
    assert not first.equals(robust.aggregates(runs, resamples=300, seed=6))


def test_one_seed_per_task_gives_the_point_without_an_interval():
    runs = runs_from({"a": {"relu": [0.8], "tanh": [0.7]}})
    row = robust.aggregates(runs, resamples=200).iloc[0]
    assert row["iqm"] == pytest.approx(0.8) and math.isnan(row["iqm_ci95_low"])
    assert robust.improvement(runs, resamples=200)["probability"].tolist() == [1.0, 0.0]


def test_performance_profile_by_hand():
    # Task a: 0.5, 0.9; task b: 0.7, 0.7. At tau = 0.6: a 1/2, b 2/2 -> 0.75.
    runs = runs_from({"a": {"relu": [0.5, 0.9]}, "b": {"relu": [0.7, 0.7]}})
    profile = robust.performance_profile(runs, resamples=200).set_index("tau")
    assert profile.at[0.0, "fraction"] == 1.0
    assert profile.at[0.6, "fraction"] == pytest.approx(0.75)
    assert profile.at[0.95, "fraction"] == 0.0
    assert (profile["ci95_low"] <= profile["fraction"] + 1e-12).all()
    assert (profile["fraction"] <= profile["ci95_high"] + 1e-12).all()


def test_stratified_bootstrap_iqm_interval_covers_the_true_iqm():
    """Three tasks of 20 seeds each from Exp(1): the pooled IQM's true value
    is E[X | q25 < X < q75] = ((a + 1) e^-a - (b + 1) e^-b) / 0.5 with
    a = ln(4/3), b = ln 4. The 95% interval should cover it about 95% of the time."""
    a, b = math.log(4 / 3), math.log(4)
    truth = ((a + 1) * math.exp(-a) - (b + 1) * math.exp(-b)) / 0.5
    rng = np.random.default_rng(11)
    repetitions, covered = 400, 0
    for repetition in range(repetitions):
        strata = [rng.exponential(size=20) for _ in range(3)]
        _, low, high = robust.stratified_interval(strata, robust.pooled_iqm, resamples=400, seed=repetition)
        covered += low <= truth <= high
    assert 0.90 <= covered / repetitions <= 0.99, covered / repetitions


@pytest.mark.parametrize("seeds", [5, 10])  # the paired t-test, and Wilcoxon
def test_fixed_design_family_wise_error_is_at_most_alpha(seeds):
    """Four activations with identical score distributions (and a shared
    per-seed effect, as paired runs have), all six pairs tested as compare()
    does and Holm-corrected: the chance of any false "different" is at most
    alpha, up to three binomial standard errors. The p-values are computed
    vectorised with the scipy test paired_test picks at that n, checked
    against paired_test on the first repetitions."""
    from scipy import stats

    alpha, activations, repetitions = 0.05, 4, 2000
    first, second = np.triu_indices(activations, k=1)
    wilcoxon_from = wilcoxon_min_pairs(len(first), alpha)
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(repetitions, 1, seeds)) + rng.normal(scale=0.5, size=(repetitions, activations, seeds))
    a, b = scores[:, first], scores[:, second]
    test = stats.wilcoxon if seeds >= wilcoxon_from else stats.ttest_rel
    p = test(a, b, axis=-1).pvalue
    for repetition in range(20):
        for pair in range(len(first)):
            _, expected, _ = paired_test(a[repetition, pair], b[repetition, pair], wilcoxon_from)
            assert p[repetition, pair] == pytest.approx(expected)
    false_positives = sum(bool((holm(row) < alpha).any()) for row in p)
    margin = 3 * math.sqrt(alpha * (1 - alpha) / repetitions)
    assert false_positives / repetitions <= alpha + margin


def test_figures_are_written(tmp_path):
    runs = runs_from({"a": {"relu": [0.9, 0.8, 0.85], "tanh": [0.7, 0.75, 0.72]}})
    pairs = robust.improvement(runs, resamples=200)
    activations, matrix = improvement_matrix(pairs)
    assert activations == ["relu", "tanh"]
    assert matrix[0, 1] == 1.0 and matrix[1, 0] == 0.0 and np.isnan(matrix[0, 0])
    paths = [tmp_path / "p.png", tmp_path / "p.svg", tmp_path / "f.png", tmp_path / "f.svg"]
    plot_improvement(pairs, paths[:2])
    plot_profile(robust.performance_profile(runs, resamples=200), paths[2:])
    assert all(path.stat().st_size > 1000 for path in paths)


def test_markdown_shows_iqm_and_the_matrix():
    runs = runs_from({"a": {"relu": [0.9, 0.8, 0.85], "tanh": [0.7, 0.75, 0.72]}})
    text = robust.per_task_markdown(runs, resamples=200)
    assert "IQM of val_accuracy" in text and "| relu | 0.850" in text
    assert "| relu |  | 1.000 [1.000, 1.000] |" in text


@pytest.mark.slow  # deepsig imports TensorFlow where it is installed (half a minute on a busy machine)
def test_aso_epsilon_min_points_the_right_way_and_is_seeded():
    pytest.importorskip("deepsig")
    from actzoo.aso import epsilon_min

    rng = np.random.default_rng(0)
    high, low = 1 + rng.normal(size=8) * 0.1, rng.normal(size=8) * 0.1
    assert epsilon_min(high, low, 1, seed=3, iterations=50) < 0.1
    assert epsilon_min(low, high, 1, seed=3, iterations=50) > 0.9
    assert epsilon_min(high, low, 3, seed=3, iterations=50) == epsilon_min(high, low, 3, seed=3, iterations=50)
    assert epsilon_min(high, high[::-1], 1, seed=3, iterations=50) == 0.5
    assert math.isnan(epsilon_min(high[:1], low, 1, seed=3, iterations=50))


@pytest.mark.slow  # deepsig imports TensorFlow where it is installed
def test_aso_column_for_every_pair_of_a_task():
    pytest.importorskip("deepsig")
    from actzoo.aso import with_aso
    from actzoo.ranking import compare

    rng = np.random.default_rng(1)
    losses = {"good": 0.2 + rng.normal(size=5) * 0.01, "bad": 0.8 + rng.normal(size=5) * 0.01}
    runs = runs_from({"a": {a: 1 - v for a, v in losses.items()}}).assign(
        val_loss=np.concatenate(list(losses.values()))
    )
    comparisons = with_aso(compare(runs), runs, seed=0, iterations=30)
    assert comparisons[["activation_a", "activation_b"]].values.tolist() == [["good", "bad"]]
    assert comparisons["aso_epsilon_min"].iloc[0] < 0.1, "lower loss is better"


def test_the_bootstrap_resamples_seeds_within_each_task():
    """Two tasks far apart: resampling within each keeps half the runs from
    each, so the pooled mean barely moves; resampling the pooled runs would
    mix the tasks and swing the mean by about ±0.2."""
    rng = np.random.default_rng(0)
    hard, easy = rng.uniform(0.0, 0.01, 10), rng.uniform(0.99, 1.0, 10)
    point, low, high = robust.stratified_interval([hard, easy], robust.pooled_mean, resamples=500, seed=1)
    assert low <= point <= high and high - low < 0.01
    _, pooled_low, pooled_high = robust.stratified_interval(
        [np.concatenate([hard, easy])], robust.pooled_mean, resamples=500, seed=1
    )
    assert pooled_high - pooled_low > 0.2, "the control: unstratified, the tasks mix"
