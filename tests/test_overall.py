"""One answer across data sets: average ranks, Friedman, Nemenyi and the
critical-difference diagram, on hand-made summary tables with known answers."""

import math

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs
from scipy import stats

from actzoo import overall
from actzoo.overall import compare_overall, markdown, plot_critical_difference, table, write_overall


def summary_table(scores, model=None):
    """A summary.csv-like table from ``{task: {activation: mean val_loss}}``;
    with ``model``, tasks are (dataset, model) pairs."""
    rows = []
    for task, by_activation in scores.items():
        keys = {"dataset": task[0], "model": task[1]} if model else {"dataset": task}
        for activation, loss in by_activation.items():
            diverged = 3 if np.isnan(loss) else 0
            rows.append({**keys, "activation": activation, "n_seeds": 3, "n_diverged": diverged, "val_loss_mean": loss})
    return pd.DataFrame(rows)


# Three data sets, three activations; ranks by hand: a 1,1,2  b 2,3,1  c 3,2,3.
HAND = {
    "d1": {"a": 0.1, "b": 0.2, "c": 0.3},
    "d2": {"a": 0.1, "b": 0.3, "c": 0.2},
    "d3": {"a": 0.2, "b": 0.1, "c": 0.3},
}


def dominant(n_tasks=10):
    """``best`` wins every task; ``even`` and ``odd`` take turns in second place."""
    return {f"t{i}": {"best": 0.1, "even": 0.2 + 0.1 * (i % 2), "odd": 0.3 - 0.1 * (i % 2)} for i in range(n_tasks)}


def test_average_ranks_and_friedman_by_hand_and_against_scipy():
    result = compare_overall(summary_table(HAND))
    assert result["reason"] is None
    assert result["mean_ranks"].to_dict() == pytest.approx({"a": 4 / 3, "b": 2.0, "c": 8 / 3})
    assert list(result["mean_ranks"].index) == ["a", "b", "c"], "best average rank first"
    # By hand: chi2 = 12N / (k(k+1)) * sum(R_j^2) - 3N(k+1) = 3 * (16 + 36 + 64) / 9 - 36 = 8/3,
    # p = exp(-chi2 / 2) for 2 degrees of freedom.
    assert result["chi2"] == pytest.approx(8 / 3)
    assert result["p"] == pytest.approx(math.exp(-4 / 3))
    direct = stats.friedmanchisquare([0.1, 0.1, 0.2], [0.2, 0.3, 0.1], [0.3, 0.2, 0.3])
    assert (result["chi2"], result["p"]) == pytest.approx((direct.statistic, direct.pvalue))
    # Iman-Davenport: F = (N-1) chi2 / (N(k-1) - chi2) = 2 (8/3) / (6 - 8/3) = 1.6 on (2, 4) df.
    assert result["f"] == pytest.approx(1.6)
    assert result["p_f"] == pytest.approx(stats.f.sf(1.6, 2, 4))
    assert not result["rejected"] and set(result["groups"].values()) == {"a"}, "no post-hoc without rejection"
    frame = table(result)
    assert list(frame["activation"]) == ["a", "b", "c"]
    assert list(frame.columns[:8]) == [
        "activation",
        "mean_rank",
        "group",
        "n_tasks",
        "n_tasks_no_finished_run",
        "rank_d1",
        "rank_d2",
        "rank_d3",
    ]
    assert frame.loc[0, ["rank_d1", "rank_d2", "rank_d3"]].tolist() == [1, 1, 2]
    assert (frame["n_tasks"] == 3).all() and frame["friedman_chi2"].iloc[0] == pytest.approx(8 / 3)
    assert "does not reject" in markdown(result)


def test_ties_share_the_average_rank():
    scores = {"d1": {"a": 0.2, "b": 0.2, "c": 0.3}, "d2": {"a": 0.1, "b": 0.2, "c": 0.2}, "d3": HAND["d3"]}
    result = compare_overall(summary_table(scores))
    assert result["ranks"].loc["d1"].tolist() == [1.5, 1.5, 3]
    assert result["ranks"].loc["d2"].tolist() == [1, 2.5, 2.5]
    direct = stats.friedmanchisquare([0.2, 0.1, 0.2], [0.2, 0.2, 0.1], [0.3, 0.2, 0.3])
    assert result["chi2"] == pytest.approx(direct.statistic), "scipy's tie correction"


def test_an_activation_whose_runs_all_diverged_ranks_last():
    scores = {"d1": {"a": np.nan, "b": 0.5, "c": 0.9}, "d2": {"a": 0.1, "b": 0.2, "c": np.nan}, "d3": HAND["d3"]}
    result = compare_overall(summary_table(scores))
    assert result["ranks"].loc["d1"].tolist() == [3, 1, 2]
    assert result["ranks"].loc["d2"].tolist() == [1, 2, 3]
    assert np.isfinite(result["chi2"]), "NaN scores do not reach the test"
    assert table(result).set_index("activation")["n_tasks_no_finished_run"].to_dict() == {"a": 1, "b": 0, "c": 1}
    both = compare_overall(summary_table({**scores, "d1": {"a": np.nan, "b": 0.5, "c": np.nan}}))
    assert both["ranks"].loc["d1"].tolist() == [2.5, 1, 2.5], "two without a finished run tie for last"


def test_nemenyi_separates_a_dominant_activation_but_not_two_equal_ones():
    result = compare_overall(summary_table(dominant(10)))
    assert result["rejected"] and result["p_f"] < 0.05
    assert result["mean_ranks"].to_dict() == {"best": 1.0, "even": 2.5, "odd": 2.5}
    expected = scikit_posthocs.posthoc_nemenyi_friedman(result["ranks"])
    assert result["p_values"].at["best", "even"] == pytest.approx(expected.at["best", "even"])
    assert result["p_values"].at["best", "even"] < 0.05 and result["p_values"].at["even", "odd"] == 1
    groups = result["groups"]
    assert groups["even"] == groups["odd"] and not set(groups["best"]) & set(groups["even"])
    # Demšar's critical difference for k = 3, alpha = 0.05 (q = 2.343), N = 10.
    assert result["cd"] == pytest.approx(2.343 * math.sqrt(3 * 4 / 60), abs=1e-3)
    text = markdown(result)
    assert "Nemenyi" in text and "conservative" in text and "best is best across the 10 tasks" in text


def test_fewer_than_three_data_sets_gives_descriptive_ranks_only():
    result = compare_overall(summary_table({k: HAND[k] for k in ("d1", "d2")}))
    message = "the Friedman test needs at least 3 data sets; this run has 2: no overall verdict"
    assert result["reason"] == message
    assert np.isnan(result["chi2"]) and result["p_values"] is None
    assert result["mean_ranks"].to_dict() == {"a": 1.0, "c": 2.5, "b": 2.5}
    text = markdown(result)
    assert message in text and "descriptive" in text and "Friedman test (scipy" not in text
    frame = table(result)
    assert (frame["verdict"] == message).all() and (frame["group"] == "").all()


def test_fewer_than_three_activations_and_a_constant_matrix_give_no_verdict():
    two = compare_overall(summary_table({t: {"a": s["a"], "b": s["b"]} for t, s in HAND.items()}))
    assert two["reason"] == "the Friedman test needs at least 3 activations; this run has 2: no overall verdict"
    constant = compare_overall(summary_table({t: {"a": 0.3, "b": 0.3, "c": 0.3} for t in HAND}))
    assert "constant matrix" in constant["reason"] and np.isnan(constant["chi2"])


def test_model_variants_count_data_set_and_variant_as_tasks():
    scores = {("circles", "narrow"): HAND["d1"], ("circles", "wide"): HAND["d2"], ("moons", "narrow"): HAND["d3"]}
    result = compare_overall(summary_table(scores, model=True))
    assert list(result["ranks"].index) == ["circles · narrow", "circles · wide", "moons · narrow"]
    assert result["reason"] is None and result["chi2"] == pytest.approx(8 / 3), "the same blocks as HAND"
    assert {"rank_circles_narrow", "rank_circles_wide", "rank_moons_narrow"} <= set(table(result).columns)
    two = compare_overall(summary_table({k: scores[k] for k in list(scores)[:2]}, model=True))
    assert two["reason"].startswith("the Friedman test needs at least 3 tasks (data set, variant); this run has 2")


@pytest.mark.parametrize("scores", [dominant(10), {k: HAND[k] for k in ("d1", "d2")}], ids=["verdict", "none"])
def test_the_diagram_is_written_with_or_without_a_verdict(scores, tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(overall.plt, "close", drawn.append)
    summary = tmp_path / "summary.csv"
    summary_table(scores).to_csv(summary, index=False)
    paths = [tmp_path / "cd.png", tmp_path / "cd.svg"]
    result = write_overall(summary, 0.05, tmp_path / "overall.csv", tmp_path / "overall.md", paths)
    for path in paths:
        assert path.stat().st_size > 1000, path
    assert len(pd.read_csv(tmp_path / "overall.csv")) == 3
    (figure,) = drawn
    notes = " ".join(t.get_text() for t in figure.texts)
    titles = figure.axes[0].get_title()
    if result["reason"]:
        assert "No test: the Friedman test needs at least 3 data sets" in notes and "no test" in titles
    else:
        assert "No test" not in notes and "Nemenyi" in titles


def test_a_single_activation_on_one_data_set_still_draws(tmp_path):
    """The smallest config (e.g. the module test's): no test, a figure all the same."""
    result = compare_overall(summary_table({"d1": {"a": 0.2}}))
    assert result["reason"].startswith("the Friedman test needs at least 3 data sets; this run has 1")
    plot_critical_difference(result, [tmp_path / "cd.png"])
    assert (tmp_path / "cd.png").stat().st_size > 1000


def test_the_tiny_run_has_the_overall_answer_or_why_not(tiny_run):
    results = tiny_run / "results"
    frame = pd.read_csv(results / "overall.csv")
    assert set(frame["activation"]) == {"tanh", "relu"} and (frame["n_tasks"] == 2).all()
    assert {"rank_circles", "rank_sensors"} <= set(frame.columns)
    summary = pd.read_csv(results / "summary.csv")
    ranks = summary.groupby("dataset")["val_loss_mean"].rank()
    expected = ranks.groupby(summary["activation"]).mean()
    assert frame.set_index("activation")["mean_rank"].to_dict() == pytest.approx(expected.to_dict())
    text = (results / "overall.md").read_text()
    assert "the Friedman test needs at least 3 data sets; this run has 2: no overall verdict" in text
    for ext in ("png", "svg"):
        assert (results / "figures" / f"critical_difference.{ext}").stat().st_size > 1000


def test_with_a_test_split_the_overall_ranks_are_on_test_loss():
    """A summary with test scores ranks on test_loss_mean, whatever val_loss_mean says."""
    summary = summary_table(HAND)
    summary = summary.assign(test_loss_mean=summary["val_loss_mean"], val_loss_mean=1 - summary["val_loss_mean"])
    result = compare_overall(summary)
    expected = compare_overall(summary_table(HAND))
    pd.testing.assert_frame_equal(result["ranks"], expected["ranks"])
    assert result["metric"] == "test_loss" and expected["metric"] == "val_loss"
    assert "by mean final test_loss over seeds" in markdown(result) and "on the test split" in markdown(result)
    assert "by mean final val_loss over seeds" in markdown(expected) and "test split" not in markdown(expected)
