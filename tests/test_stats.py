"""Seed statistics and comparisons on synthetic runs with known answers."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from actzoo.paired_tests import NOT_COMPUTED, confidence_interval, holm, paired_test, wilcoxon_min_pairs
from actzoo.ranking import compare, letter_groups
from actzoo.scores import ranked_metric
from actzoo.stats import epochs_to_threshold, run_statistics, summarize
from actzoo.summary_markdown import markdown

EPOCHS = 5


def synthetic(final_losses, dataset="toy", diverged_at=None, empty=()):
    """(histories, runs) tables for ``{activation: [final val_loss per seed]}``.

    Each curve falls linearly from 1.0 to its final loss; accuracy is 1 - loss.
    ``diverged_at`` maps (activation, seed) to the epoch whose loss became NaN
    (the history stops there, as the engine's does); ``empty`` lists runs that
    diverged at once and have no history rows at all.
    """
    diverged_at = dict(diverged_at or {})
    histories, runs = [], []
    for activation, finals in final_losses.items():
        for seed, final in enumerate(finals, start=1):
            stop = diverged_at.get((activation, seed))
            if (activation, seed) in empty:
                stop = 1
            epochs = np.arange(1, (stop or EPOCHS) + 1)
            loss = np.linspace(1.0, final, EPOCHS)[: len(epochs)]
            if stop:
                loss[-1] = np.nan
            accuracy = 1 - loss
            if (activation, seed) not in empty:
                histories.append(
                    pd.DataFrame(
                        {
                            "dataset": dataset,
                            "activation": activation,
                            "seed": seed,
                            "epoch": epochs,
                            "loss": loss,
                            "accuracy": accuracy,
                            "val_loss": loss,
                            "val_accuracy": accuracy,
                        }
                    )
                )
            finite = np.isfinite(loss)
            runs.append(
                {
                    "dataset": dataset,
                    "activation": activation,
                    "seed": seed,
                    "val_loss": loss[-1] if len(loss) else np.nan,
                    "val_accuracy": accuracy[-1] if len(loss) else np.nan,
                    "best_epoch": int(np.nanargmin(loss)) + 1 if finite.any() else None,
                    "epochs": len(epochs),
                    "diverged": bool(stop),
                    "diverged_epoch": stop,
                    "train_seconds": 1.0 + seed,
                }
            )
    return pd.concat(histories, ignore_index=True), pd.DataFrame(runs)


def rows(summary):
    return summary.set_index("activation")


# --- building blocks ----------------------------------------------------------------


def test_confidence_interval_matches_scipy_and_hand_value():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    low, high = confidence_interval(values)
    expected = stats.t.interval(0.95, 4, loc=3.0, scale=stats.sem(values))
    assert (low, high) == pytest.approx(expected)
    # By hand: t(0.975, 4 df) = 2.776445 from a printed t table, s = sqrt(2.5),
    # so the half-width is 2.776445 * sqrt(2.5 / 5) = 1.963243.
    assert (low, high) == pytest.approx((3 - 1.963243, 3 + 1.963243), abs=1e-6)


def test_confidence_interval_degenerate_cases():
    assert all(math.isnan(v) for v in confidence_interval([0.3]))
    assert all(math.isnan(v) for v in confidence_interval([]))
    assert confidence_interval([0.4, 0.4, 0.4]) == pytest.approx((0.4, 0.4)), "no spread: the interval is the point"
    assert confidence_interval([2.0, 2.0]) == (2.0, 2.0)


def test_holm_against_hand_computed_example():
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> monotone 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]).tolist() == [1.0, 1.0], "capped at 1"
    adjusted = holm([0.01, np.nan, 0.04])
    assert adjusted[0] == pytest.approx(0.02) and adjusted[2] == pytest.approx(0.04), "untested entries are not counted"
    assert math.isnan(adjusted[1])
    assert len(holm([])) == 0


def test_paired_t_test_and_effect_size_from_scipy():
    a, b = np.array([1.0, 2.5, 4.0]), np.array([0.0, 0.5, 1.0])  # differences 1, 2, 3
    test, p, effect = paired_test(a, b)
    assert test == "paired t"
    assert p == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert effect == pytest.approx(2.0), "d_z = mean 2 / SD 1"


def test_wilcoxon_used_only_when_it_can_be_significant_after_holm():
    assert wilcoxon_min_pairs(1, 0.05) == 6, "n = 6: smallest two-sided exact p = 2/64 < 0.05"
    assert wilcoxon_min_pairs(6, 0.05) == 8, "6 comparisons: 6 * 2/2**7 = 0.094, 6 * 2/2**8 = 0.047"
    a, b = np.arange(1.0, 7.0), np.zeros(6)
    test, p, _ = paired_test(a, b, wilcoxon_from=6)
    assert test == "wilcoxon signed-rank" and p == pytest.approx(stats.wilcoxon(a, b).pvalue) == pytest.approx(2 / 64)
    assert paired_test(a, b, wilcoxon_from=8)[0] == "paired t"


def test_paired_test_degenerate_inputs():
    assert paired_test([0.3], [0.2]) == (
        NOT_COMPUTED,
        pytest.approx(np.nan, nan_ok=True),
        pytest.approx(np.nan, nan_ok=True),
    )
    test, p, effect = paired_test([0.2, 0.3], [0.2, 0.3])
    assert test.startswith("paired t") and p == 1.0 and effect == 0.0


def test_epochs_to_threshold_and_auc():
    history = pd.DataFrame(
        {
            "dataset": "d",
            "activation": "a",
            "seed": 1,
            "epoch": [1, 2, 3],
            "val_loss": [1.0, 1.0, 1.0],
            "val_accuracy": [0.5, 0.9, 0.95],
        }
    )
    assert epochs_to_threshold(history, 0.9) == 2
    assert epochs_to_threshold(history, 0.99) is None
    table = run_statistics(history, 0.9)
    assert table.loc[0, "val_loss_auc"] == pytest.approx(2.0), "trapezoid of 1.0 over epochs 1..3"


def test_letter_groups_state_non_transitive_ties():
    # a beats c, b is indistinguishable from both: a -> "a", b -> "ab", c -> "b"
    separated = lambda x, y: {x, y} == {"A", "C"}  # noqa: E731
    assert letter_groups(["A", "B", "C"], separated) == ["a", "ab", "b"]
    assert letter_groups(["A", "B"], lambda x, y: False) == ["a", "a"]
    assert letter_groups(["A", "B"], lambda x, y: True) == ["a", "b"]


# --- summarize: the known answers ---------------------------------------------------


def test_identical_runs_show_no_difference_and_share_a_rank():
    losses = [0.30, 0.35, 0.28, 0.33]
    summary, comparisons = summarize(*synthetic({"tanh": losses, "relu": list(losses)}))
    assert len(comparisons) == 1
    pair = comparisons.iloc[0]
    assert pair["mean_difference"] == 0 and pair["p_value"] == 1.0 and pair["effect_size_dz"] == 0
    assert not pair["significant"]
    assert summary["rank"].tolist() == [1, 1]
    assert summary["group"].tolist() == ["a", "a"]
    assert (summary["rank_basis"] == "paired tests, Holm").all()


def test_clearly_separated_runs_are_significant_and_ranked_apart():
    good = [0.10, 0.12, 0.11, 0.13, 0.09]
    bad = [0.60, 0.65, 0.62, 0.66, 0.61]
    summary, comparisons = summarize(*synthetic({"sigmoid": bad, "relu": good}))
    pair = comparisons.iloc[0]
    assert pair["test"] == "paired t" and pair["n_pairs"] == 5
    assert pair["p_value"] == pytest.approx(stats.ttest_rel(bad, good).pvalue)
    assert pair["p_value"] < 1e-4 and pair["significant"]
    assert pair["mean_difference"] == pytest.approx(np.mean(bad) - np.mean(good))
    assert pair["effect_size_dz"] > 5
    assert summary["activation"].tolist() == ["relu", "sigmoid"], "best first"
    assert rows(summary).loc["relu", "rank"] == 1 and rows(summary).loc["sigmoid", "rank"] == 2
    assert rows(summary).loc["relu", "group"] != rows(summary).loc["sigmoid", "group"]
    relu = rows(summary).loc["relu"]
    assert relu["val_loss_mean"] == pytest.approx(np.mean(good))
    assert relu["val_loss_std"] == pytest.approx(np.std(good, ddof=1))
    assert (relu["val_loss_ci95_low"], relu["val_loss_ci95_high"]) == pytest.approx(
        stats.t.interval(0.95, 4, loc=np.mean(good), scale=stats.sem(good))
    )
    assert relu["train_seconds_mean"] == pytest.approx(4.0), "seeds 1..5 take 2..6 s"
    assert relu["best_epoch_median"] == EPOCHS


def test_holm_family_is_the_dataset_and_three_way_ranks():
    # a < b < c, each gap large: every pair significant, ranks 1, 2, 3.
    table = {"a": [0.1, 0.11, 0.12], "b": [0.4, 0.41, 0.43], "c": [0.8, 0.82, 0.81]}
    summary, comparisons = summarize(*synthetic(table))
    assert len(comparisons) == 3
    assert comparisons["p_holm"].tolist() == pytest.approx(holm(comparisons["p_value"]).tolist())
    assert comparisons["p_holm"].ge(comparisons["p_value"]).all()
    assert rows(summary)["rank"].to_dict() == {"a": 1, "b": 2, "c": 3}


def test_fewer_than_two_seeds_reports_numbers_but_no_tests():
    summary, comparisons = summarize(*synthetic({"tanh": [0.3], "relu": [0.2]}))
    pair = comparisons.iloc[0]
    assert pair["test"] == NOT_COMPUTED and pair["n_pairs"] == 1
    assert math.isnan(pair["p_value"]) and math.isnan(pair["p_holm"]) and not pair["significant"]
    assert (summary["rank_basis"] == "means only (tests not computed)").all()
    assert rows(summary)["rank"].to_dict() == {"relu": 1, "tanh": 2}, "the order of the numbers, said to be untested"
    assert rows(summary).loc["relu", "val_loss_mean"] == pytest.approx(0.2)
    assert math.isnan(rows(summary).loc["relu", "val_loss_std"])
    assert math.isnan(rows(summary).loc["relu", "val_loss_ci95_low"])
    text = markdown(summary, 0.9, comparisons)
    assert "not computed" in text


def test_diverged_runs_are_counted_not_dropped():
    histories, runs = synthetic(
        {"tanh": [0.30, 0.32, 0.31], "relu": [0.20, 0.22, 0.21]},
        diverged_at={("relu", 2): 3},
    )
    summary, comparisons = summarize(histories, runs)
    relu = rows(summary).loc["relu"]
    assert relu["n_seeds"] == 3 and relu["n_diverged"] == 1
    assert relu["val_loss_mean"] == pytest.approx(0.205), "mean over the two finished seeds"
    pair = comparisons.iloc[0]
    assert pair["n_pairs"] == 2 and pair["n_diverged_b"] == 1 and pair["n_diverged_a"] == 0
    assert "1/3" in markdown(summary, 0.9, comparisons)


def test_run_without_history_still_counts():
    histories, runs = synthetic({"tanh": [0.3, 0.31], "relu": [0.2, 0.21]}, empty={("relu", 1)})
    assert not ((histories["activation"] == "relu") & (histories["seed"] == 1)).any()
    summary, _ = summarize(histories, runs)
    assert rows(summary).loc["relu", "n_seeds"] == 2 and rows(summary).loc["relu", "n_diverged"] == 1


def test_activation_whose_every_run_diverged_ranks_last():
    histories, runs = synthetic(
        {"sigmoid": [0.6, 0.62, 0.61], "relu": [0.2, 0.22, 0.21], "exotic": [0.1, 0.1, 0.1]},
        diverged_at={("exotic", 1): 2, ("exotic", 2): 2, ("exotic", 3): 4},
    )
    summary, comparisons = summarize(histories, runs)
    exotic = rows(summary).loc["exotic"]
    assert exotic["n_diverged"] == 3 and math.isnan(exotic["val_loss_mean"])
    assert exotic["rank"] == 3 and exotic["rank_basis"] == "no finished run"
    assert summary["activation"].tolist()[-1] == "exotic"
    assert set(exotic["group"]).isdisjoint(rows(summary).loc["relu", "group"])
    untested = comparisons[(comparisons["activation_a"] == "exotic") | (comparisons["activation_b"] == "exotic")]
    assert len(untested) == 2 and (untested["test"] == NOT_COMPUTED).all() and (untested["n_pairs"] == 0).all()
    text = markdown(summary, 0.9, comparisons)
    assert "| exotic | - |" in text and "3/3 |" in text


def test_threshold_columns_and_markdown():
    histories, runs = synthetic({"relu": [0.05, 0.05, 0.5], "sigmoid": [0.6, 0.6, 0.6]})
    summary, comparisons = summarize(histories, runs, threshold=0.9)
    relu = rows(summary).loc["relu"]
    # accuracy 1 - loss, loss from 1.0 to 0.05 in 5 epochs: 1.0, 0.7625, 0.525, 0.2875, 0.05 -> 0.95 at epoch 5
    assert relu["epochs_to_threshold_median"] == 5
    assert relu["n_reached_threshold"] == 2 and relu["n_never_reached_threshold"] == 1
    assert rows(summary).loc["sigmoid", "n_reached_threshold"] == 0
    text = markdown(summary, 0.9, comparisons)
    assert "### toy" in text and "epochs to 90%" in text
    assert "5 (2/3 runs)" in text and "never" in text
    assert "Tests: paired t" in text


def test_compare_on_empty_input():
    empty = pd.DataFrame(columns=["dataset", "activation", "seed", "val_loss", "diverged"])
    assert compare(empty).empty


@pytest.mark.parametrize("effect", [0.8, 1.5])
def test_seeds_needed_give_the_promised_power_in_simulation(effect):
    """Paired differences with a known d_z, tested as compare() tests them
    (the test paired_test picks at that n) at the corrected level alpha / m:
    at the estimated n about 80% are separated, at half of it clearly fewer."""
    from actzoo.paired_tests import paired_test, seeds_needed, wilcoxon_min_pairs

    m, alpha = 6, 0.05
    n = seeds_needed(effect, m, alpha)
    rng = np.random.default_rng(7)

    def power(size, trials=2000):
        hits = 0
        for _ in range(trials):
            difference = rng.normal(effect, 1.0, size)
            _, p, _ = paired_test(difference, np.zeros(size), wilcoxon_min_pairs(m, alpha))
            hits += p < alpha / m
        return hits / trials

    assert 0.75 <= power(n) <= 0.88, n
    assert power(max(2, n // 2)) < 0.7


def test_seeds_needed_for_a_negligible_or_undefined_difference_is_none():
    from actzoo.paired_tests import seeds_needed

    assert seeds_needed(0.05, 6) is None and seeds_needed(np.nan, 6) is None and seeds_needed(np.inf, 6) is None
    assert seeds_needed(0.8, 1) < seeds_needed(0.8, 6) < seeds_needed(0.5, 6)
    # statsmodels' power is NaN at 2 pairs; 2 seeds never count as enough
    # for 3 pairs, not even for a huge effect (41% power in simulation).
    assert seeds_needed(14.6, 3) == 3
    # Near-constant differences give astronomic d_z, where statsmodels' power
    # is NaN at every n: still the fewest seeds, not "no difference".
    assert seeds_needed(5e15, 1) == 2 and seeds_needed(-4e15, 3) == 2


def test_the_summary_says_how_many_seeds_would_separate_a_pair():
    rng = np.random.default_rng(3)
    rows = []
    for seed in range(1, 4):
        base = rng.normal(0.3, 0.05)
        for activation, shift in (("tanh", 0.0), ("relu", 0.04), ("sigmoid", 0.4)):
            rows.append(("circles", activation, seed, base + shift + rng.normal(0, 0.03), 0.9, 10, False, None, 1.0))
    runs = pd.DataFrame(
        rows,
        columns=["dataset", "activation", "seed", "val_loss", "val_accuracy", "best_epoch",
                 "diverged", "diverged_epoch", "train_seconds"],
    )  # fmt: skip
    summary, comparisons = summarize(runs.assign(epoch=1), runs)
    text = markdown(summary, 0.9, comparisons)
    pair = comparisons[(comparisons["activation_a"] == "tanh") & (comparisons["activation_b"] == "relu")].iloc[0]
    assert not pair["significant"] and pair["seeds_needed"] > 3
    assert pair["verdict"] == "undecided" and abs(pair["mean_difference"]) > 0.01, "the difference side is open"
    assert (
        f"tanh vs relu on circles: undecided with 3 seeds (difference -0.021, d_z = -0.22); "
        f"about {pair['seeds_needed']} seeds would separate a difference this size"
    ) in text


def test_advice_for_an_unseparated_pair_whose_estimate_is_already_met():
    """The observed d_z is itself noisy: a pair not separated although its
    estimate is no more seeds than it has gets no "about N seeds" claim."""
    from actzoo.summary_markdown import verdict_line

    row = {"activation_a": "tanh", "activation_b": "relu", "p_holm": 0.09, "significant": False, "n_pairs": 3,
           "seeds_needed": 3, "effect_size_dz": 14.6, "test": "paired t", "mean_difference": 0.05,
           "smallest_effect": 0.01, "verdict": "undecided", "equivalent": False,
           "seeds_needed_equivalence": pd.NA}  # fmt: skip
    text = verdict_line(row, "circles")
    assert text.startswith("tanh vs relu on circles: undecided with 3 seeds (difference +0.050, d_z = 14.60)")
    assert text.endswith("a few more seeds should separate a difference this size, though 3 usually would")
    assert "about" not in text
    assert "about 5 seeds would separate" in verdict_line({**row, "seeds_needed": 5}, "circles")


# --- ranking on the test split (issue 20) --------------------------------------------


def with_test_scores(runs, test_losses):
    """``runs`` with test_loss (and test_accuracy = 1 - test_loss) per
    activation, one per seed; diverged runs get NaN as the engine gives them."""
    test_loss = [test_losses[a][seed - 1] for a, seed in zip(runs["activation"], runs["seed"])]
    test_loss = np.where(runs["diverged"], np.nan, test_loss)
    return runs.assign(test_loss=test_loss, test_accuracy=1 - test_loss)


# Validation says a < b < c; the test split says the opposite, clearly.
VAL_ORDER = {"a": [0.10, 0.11, 0.12, 0.10, 0.11, 0.12], "b": [0.20, 0.21, 0.22, 0.20, 0.21, 0.22],
             "c": [0.30, 0.31, 0.32, 0.30, 0.31, 0.32]}  # fmt: skip
TEST_ORDER = {"a": [0.50, 0.52, 0.51, 0.53, 0.50, 0.52], "b": [0.30, 0.32, 0.31, 0.33, 0.30, 0.32],
              "c": [0.10, 0.12, 0.11, 0.13, 0.10, 0.12]}  # fmt: skip


def test_with_test_scores_everything_ranks_on_the_test_split():
    histories, runs = synthetic(VAL_ORDER)
    assert ranked_metric(runs) == "val_loss"
    runs = with_test_scores(runs, TEST_ORDER)
    assert ranked_metric(runs) == "test_loss"
    summary, comparisons = summarize(histories, runs)
    assert ranked_metric(summary) == "test_loss"
    assert list(summary["activation"]) == ["c", "b", "a"] and list(summary["rank"]) == [1, 2, 3]
    assert list(summary["group"]) == ["a", "b", "c"]
    for score in ("test_loss", "test_accuracy"):
        assert {f"{score}_{s}" for s in ("mean", "std", "ci95_low", "ci95_high")} <= set(summary.columns)
    assert rows(summary).loc["c", "test_loss_mean"] == pytest.approx(np.mean(TEST_ORDER["c"]))
    assert rows(summary).loc["c", "val_loss_mean"] == pytest.approx(np.mean(VAL_ORDER["c"])), "still reported"
    assert set(comparisons["metric"]) == {"test_loss"}
    pair = comparisons.set_index(["activation_a", "activation_b"]).loc[("a", "c")]
    assert pair["mean_a"] == pytest.approx(np.mean(TEST_ORDER["a"]))


def test_without_test_scores_there_are_no_test_columns():
    summary, comparisons = summarize(*synthetic(VAL_ORDER))
    assert not [c for c in summary.columns if c.startswith("test_")]
    assert set(comparisons["metric"]) == {"val_loss"} and list(summary["activation"]) == ["a", "b", "c"]


def test_the_markdown_names_the_ranked_metric():
    histories, runs = synthetic(VAL_ORDER)
    summary, comparisons = summarize(histories, with_test_scores(runs, TEST_ORDER))
    text = markdown(summary, 0.9, comparisons)
    assert "| rank | group | activation | test_loss (95% CI) | test_accuracy | epochs to 90% | diverged |" in text
    assert f"| 1 | a | c | {np.mean(TEST_ORDER['c']):.3f} [" in text
    assert "significantly lower final test_loss" in text and "Ranked on the test split" in text
    plain = markdown(*summarize(histories, runs)[:1], 0.9)
    assert "val_loss (95% CI) | val_accuracy |" in plain and "test_" not in plain and "test split" not in plain


def test_a_diverged_run_has_no_test_score_and_is_counted():
    histories, runs = synthetic(VAL_ORDER, diverged_at={("c", 2): 3})
    summary, comparisons = summarize(histories, with_test_scores(runs, TEST_ORDER))
    c = rows(summary).loc["c"]
    assert c["n_diverged"] == 1
    assert c["test_loss_mean"] == pytest.approx(np.mean(np.delete(TEST_ORDER["c"], 1)))
    assert set(comparisons.loc[comparisons["activation_b"] == "c", "n_pairs"]) == {5}


def test_with_one_seed_the_order_of_the_test_means_ranks():
    """No test computable: the rank is the order of the ranked metric's means."""
    histories, runs = synthetic({a: losses[:1] for a, losses in VAL_ORDER.items()})
    summary, _ = summarize(histories, with_test_scores(runs, TEST_ORDER))
    assert set(summary["rank_basis"]) == {"means only (tests not computed)"}
    assert rows(summary)["rank"].to_dict() == {"c": 1, "b": 2, "a": 3}


# --- equivalence and the three verdicts (issue 22) -----------------------------------


def runs_with_differences(base, differences, dataset="toy"):
    """(histories, runs) where activation a scores ``base`` per seed and b
    scores base + difference: a - b is exactly -difference per seed."""
    base = np.asarray(base, dtype=float)
    return synthetic({"a": list(base), "b": list(base + np.asarray(differences, dtype=float))}, dataset=dataset)


def hand_tost(differences, delta):
    """TOST p-value from scipy's t distribution: the larger of the two one-sided p-values."""
    d = np.asarray(differences, dtype=float)
    se = d.std(ddof=1) / np.sqrt(len(d))
    df = len(d) - 1
    return max(stats.t.sf((d.mean() + delta) / se, df), stats.t.cdf((d.mean() - delta) / se, df))


def test_equivalence_test_matches_statsmodels_and_a_hand_value():
    from statsmodels.stats.weightstats import ttost_paired

    from actzoo.paired_tests import equivalence_test

    b = np.array([0.30, 0.35, 0.28, 0.33, 0.31])
    d = np.array([0.001, -0.002, 0.0015, 0.0005, -0.001])
    p = equivalence_test(b + d, b, 0.01)
    assert p == pytest.approx(ttost_paired(b + d, b, -0.01, 0.01)[0])
    assert p == pytest.approx(hand_tost(d, 0.01)) and p < 1e-3
    # Mean 0.008 with a spread of 0.01: inside +-0.01, but not shown.
    wide = np.array([0.02, -0.004, 0.015, 0.0, 0.009])
    assert equivalence_test(b + wide, b, 0.01) == pytest.approx(hand_tost(wide, 0.01))
    assert equivalence_test(b + wide, b, 0.01) > 0.2
    assert math.isnan(equivalence_test([0.3], [0.3], 0.01)), "one pair: not computed"


def test_differences_without_spread_have_a_certain_tost():
    """Constant differences: statsmodels divides by a zero standard error
    (NaN exactly at the bound); the limit is 0 inside the bounds, 1 outside."""
    from actzoo.paired_tests import equivalence_test

    b = np.array([0.30, 0.35, 0.28])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero warning either
        assert equivalence_test(b, b, 0.01) == 0.0
        assert equivalence_test(b + 0.25, b + 0.25 - 0.005, 0.01) == 0.0  # exactly 0.005 in binary: 0.25 steps
        assert equivalence_test(np.full(3, 0.5), np.full(3, 0.25), 0.25) == 1.0, "at the bound: not inside"
        assert equivalence_test(np.full(3, 0.5), np.full(3, 0.25), 0.01) == 1.0


def test_identical_scores_are_equivalent_never_different_nor_an_error():
    """relu against a leaky ReLU of slope 0: the same numbers on every seed."""
    for losses in ([0.30, 0.35], [0.30, 0.35, 0.28, 0.33, 0.31, 0.29, 0.36]):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            summary, comparisons = summarize(*synthetic({"relu": losses, "leaky_relu0": list(losses)}))
        pair = comparisons.iloc[0]
        assert pair["p_value"] == 1.0 and pair["tost_p_value"] == 0.0 and pair["tost_p_holm"] == 0.0
        assert pair["verdict"] == "equivalent" and pair["equivalent"] and not pair["significant"]
        assert pd.isna(pair["better"])
        assert f"relu vs leaky_relu0 on toy: equivalent within ±0.01 with {len(losses)} seeds" in markdown(
            summary, 0.9, comparisons
        )


def test_a_clearly_different_pair_names_the_better_side():
    good = [0.10, 0.12, 0.11, 0.13, 0.09]
    bad = [0.60, 0.65, 0.62, 0.66, 0.61]
    for first, second in (("relu", "sigmoid"), ("sigmoid", "relu")):  # better as a and as b
        table = {first: good if first == "relu" else bad, second: good if second == "relu" else bad}
        summary, comparisons = summarize(*synthetic(table))
        pair = comparisons.iloc[0]
        assert pair["verdict"] == "different" and pair["better"] == "relu"
        assert pair["tost_p_value"] > 0.99 and not pair["equivalent"]
        assert f"{first} vs {second} on toy: different with 5 seeds, relu better" in markdown(summary, 0.9, comparisons)


def test_a_small_difference_measured_closely_is_equivalent():
    """Differences of about 0.002 +- 0.001 over 6 seeds: the TOST within
    +-0.01 rejects, the difference test does not (Wilcoxon's smallest p with 6
    pairs is 0.03 for all one sign; these have mixed signs)."""
    d = [0.002, 0.003, 0.001, -0.001, 0.0025, 0.0015]
    summary, comparisons = summarize(*runs_with_differences([0.3, 0.31, 0.29, 0.32, 0.3, 0.33], d))
    pair = comparisons.iloc[0]
    assert pair["tost_p_value"] == pytest.approx(hand_tost(-np.array(d), 0.01))
    assert pair["verdict"] == "equivalent" and not pair["significant"]
    # A margin hardly above the mean difference: the TOST cannot show it with 6 seeds.
    assert hand_tost(d, 0.002) > 0.05
    _, narrow = summarize(*runs_with_differences([0.3, 0.31, 0.29, 0.32, 0.3, 0.33], d), smallest_effect=0.002)
    assert narrow.iloc[0]["verdict"] == "undecided"


def test_a_small_sample_pair_is_undecided_with_the_seeds_for_the_open_side():
    """3 seeds, a mean difference inside +-0.01 but a spread of 0.01: neither
    test rejects; the observed difference points to equivalence, so the line
    gives the TOST's seeds estimate."""
    d = [0.012, -0.006, 0.0]  # mean 0.002
    summary, comparisons = summarize(*runs_with_differences([0.3, 0.31, 0.29], d))
    pair = comparisons.iloc[0]
    assert pair["verdict"] == "undecided" and pd.isna(pair["better"])
    needed = pair["seeds_needed_equivalence"]
    assert 3 < needed < 100
    line = (
        "a vs b on toy: undecided with 3 seeds (difference -0.002, d_z = -0.22); "
        f"about {needed} seeds would show equivalence within ±0.01"
    )
    assert line in markdown(summary, 0.9, comparisons)


def test_fewer_than_two_pairs_are_undecided_and_not_computed():
    summary, comparisons = summarize(*synthetic({"tanh": [0.3], "relu": [0.3]}))
    pair = comparisons.iloc[0]
    assert pair["verdict"] == "undecided" and math.isnan(pair["tost_p_value"]) and math.isnan(pair["tost_p_holm"])
    assert not pair["equivalent"]
    assert "tanh vs relu on toy: undecided, not tested (not computed" in markdown(summary, 0.9, comparisons)


def test_holm_corrects_the_tosts_within_each_task():
    """Two data sets, three pairs each: each task's TOST p-values are their own
    Holm family (not one family over all data sets)."""
    rng = np.random.default_rng(11)
    tables = []
    for dataset in ("one", "two"):
        base = rng.normal(0.3, 0.05, 6)
        scores = {name: list(base + rng.normal(0, 0.004, 6)) for name in ("x", "y", "z")}
        tables.append(synthetic(scores, dataset=dataset))
    histories = pd.concat([t[0] for t in tables], ignore_index=True)
    runs = pd.concat([t[1] for t in tables], ignore_index=True)
    _, comparisons = summarize(histories, runs)
    for _, family in comparisons.groupby("dataset"):
        assert family["tost_p_holm"].tolist() == pytest.approx(holm(family["tost_p_value"]).tolist())
    assert (comparisons["tost_p_holm"] > comparisons["tost_p_value"]).any()


def test_holm_on_the_tost_can_turn_equivalent_into_undecided():
    """One pair alone is equivalent at its raw TOST p-value; among three
    (the others identical in spread but clearly apart) Holm multiplies its
    p-value by 3 and it is undecided."""
    d = [0.007, -0.005, 0.01, -0.002, 0.008, 0.0]
    base = [0.3, 0.31, 0.29, 0.32, 0.3, 0.33]
    raw = hand_tost(d, 0.01)
    assert 0.05 / 3 < raw < 0.05, raw
    _, alone = summarize(*runs_with_differences(base, d))
    assert alone.iloc[0]["verdict"] == "equivalent"
    far = {"a": base, "b": list(np.add(base, d)), "c": list(np.add(base, 0.5))}
    _, three = summarize(*synthetic(far))
    pair = three[(three["activation_a"] == "a") & (three["activation_b"] == "b")].iloc[0]
    assert pair["tost_p_value"] == pytest.approx(raw)
    assert pair["verdict"] == "undecided"


def test_a_real_difference_smaller_than_what_matters_is_different_and_says_so():
    """Every difference 0.002 +- tiny: the difference test rejects and so does
    the TOST; the verdict follows the ranks (different), the line adds that
    it is within +-smallest_effect."""
    d = [0.002, 0.0021, 0.0019, 0.002, 0.0022, 0.0018]
    summary, comparisons = summarize(*runs_with_differences([0.3, 0.31, 0.29, 0.32, 0.3, 0.33], d))
    pair = comparisons.iloc[0]
    assert pair["significant"] and pair["equivalent"]
    assert pair["verdict"] == "different" and pair["better"] == "a"
    assert "also equivalent within ±0.01" in markdown(summary, 0.9, comparisons)


@pytest.mark.parametrize("mean, m", [(0.0, 1), (0.003, 3)])
def test_seeds_needed_for_equivalence_give_at_least_the_promised_power(mean, m):
    """Paired differences N(mean, 0.01) tested as compare() tests them
    (equivalence_test, level alpha / m): at the estimate at least about 80%
    come out equivalent (the estimate is a lower bound on the power, so
    conservative), at half of it clearly fewer."""
    from actzoo.paired_tests import equivalence_test, seeds_needed_equivalence

    sd, delta, alpha = 0.01, 0.01, 0.05
    n = seeds_needed_equivalence(mean, sd, delta, m, alpha)
    rng = np.random.default_rng(5)

    def power(size, trials=1000):
        hits = sum(
            equivalence_test(rng.normal(mean, sd, size), np.zeros(size), delta) < alpha / m for _ in range(trials)
        )
        return hits / trials

    assert 0.78 <= power(n) <= 0.95, n
    assert power(max(2, n // 2)) < 0.6


def test_seeds_needed_for_equivalence_where_it_is_not_expected_is_none():
    from actzoo.paired_tests import seeds_needed_equivalence

    assert seeds_needed_equivalence(0.012, 0.01, 0.01, 1) is None, "outside the bounds"
    assert seeds_needed_equivalence(0.0099, 0.01, 0.01, 1) is None, "a negligible margin"
    assert seeds_needed_equivalence(0.0, 0.0, 0.01, 1) is None, "no spread: already decided"
    assert seeds_needed_equivalence(np.nan, 0.01, 0.01, 1) is None
    assert seeds_needed_equivalence(0.0, 1e-12, 0.01, 3) == 2, "a huge margin: the fewest seeds"
    assert seeds_needed_equivalence(0.0, 0.01, 0.01, 1) < seeds_needed_equivalence(0.0, 0.01, 0.01, 6)
    assert seeds_needed_equivalence(0.0, 0.01, 0.01, 1) < seeds_needed_equivalence(0.005, 0.01, 0.01, 1)


def test_write_summary_passes_the_smallest_effect_on(tmp_path):
    from actzoo.summary_markdown import write_summary

    d = [0.02, 0.03, 0.01, 0.025, 0.015, 0.02]
    histories, runs = runs_with_differences([0.3, 0.31, 0.29, 0.32, 0.3, 0.33], d)
    histories.to_csv(tmp_path / "h.csv", index=False)
    runs.to_csv(tmp_path / "r.csv", index=False)
    outputs = {name: tmp_path / name for name in ("summary.csv", "comparisons.csv", "summary.md")}
    for delta, verdict in ((0.01, "different"), (0.5, "different")):
        write_summary(tmp_path / "h.csv", tmp_path / "r.csv", 0.9, 0.05, outputs["summary.csv"],
                      outputs["comparisons.csv"], outputs["summary.md"], smallest_effect=delta)  # fmt: skip
        pair = pd.read_csv(outputs["comparisons.csv"]).iloc[0]
        assert pair["smallest_effect"] == delta and pair["verdict"] == verdict
        assert pair["equivalent"] == (delta == 0.5)
        assert (f"also equivalent within ±{delta:g}" in outputs["summary.md"].read_text()) == (delta == 0.5)
