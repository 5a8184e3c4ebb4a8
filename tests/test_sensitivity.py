"""results/figures/sensitivity_{dataset}: synthetic tuning tables whose means
are known in closed form, and the figure's drawn data checked against them."""

import math

import numpy as np
import pandas as pd
import pytest

from actzoo import sensitivity_figures

LEARNING_RATES = [0.001, 0.01, 0.1]
EPOCHS = [20, 50]
SEEDS = [11, 12, 13]
# What each activation chose: relu's epochs differ from tanh's, so a profile
# that ignored the other key (or averaged over it) draws different numbers.
CHOSEN = {"tanh": {"learning_rate": 0.01, "epochs": 50}, "relu": {"learning_rate": 0.1, "epochs": 20}}


def objective(activation, learning_rate, epochs):
    """The mean val_loss over the tuning seeds: a parabola in log10(lr) with
    its minimum at the chosen rate, plus 0.05 away from the chosen epochs."""
    best = CHOSEN[activation]
    base = {"tanh": 0.2, "relu": 0.3}[activation]
    off = math.log10(learning_rate) - math.log10(best["learning_rate"])
    return base + 0.1 * off**2 + (0.05 if epochs != best["epochs"] else 0.0)


def noise(seed):
    # Sums to zero over SEEDS, so the mean over all three seeds is objective().
    return 0.01 * (seed - 12)


def point_name(learning_rate, epochs):
    return f"learning_rate={learning_rate:g},epochs={epochs}"


def write_tables(directory, diverged=(), objective_name="val_loss", variants=(None,), epochs_grid=EPOCHS):
    """scores.csv and selected.csv as the tuning step writes them (the
    contract's columns, in its order); ``diverged`` lists (activation, lr,
    epochs, seed) runs that diverged. With a one-value ``epochs_grid`` only
    the learning rate is tuned (it trains at that many epochs)."""
    rows = []
    for variant in variants:
        for activation in CHOSEN:
            for lr in LEARNING_RATES:
                for epochs in epochs_grid:
                    for seed in SEEDS:
                        # The deep variant's losses are 0.1 higher: rows must not mix.
                        value = objective(activation, lr, epochs) + noise(seed) + (0.1 if variant == "deep" else 0)
                        lost = (activation, lr, epochs, seed) in diverged
                        rows.append({"dataset": "toy", "model": variant, "activation": activation,
                                     "point": point_name(lr, epochs), "seed": seed, "learning_rate": lr,
                                     "epochs": epochs, "val_loss": value, "val_accuracy": 1 - value,
                                     "diverged": lost})  # fmt: skip
    scores = pd.DataFrame(rows)
    # A diverged run with a finite, absurd loss: the diverged flag, not NaN,
    # must keep it out (a NaN alone would drop out of any mean by itself).
    scores.loc[scores["diverged"], ["val_loss", "val_accuracy"]] = [50.0, 0.0]
    selected = pd.DataFrame(
        [
            {"dataset": "toy", "model": variant, "activation": activation, "objective": objective_name,
             "point": point_name(**best), **best,
             "objective_mean": objective(activation, **best) + (0.1 if variant == "deep" else 0),
             "objective_std": 0.01, "n_seeds": len(SEEDS), "runner_up": "", "runner_up_mean": np.nan}
            for variant in variants
            for activation, best in CHOSEN.items()
        ]
    )  # fmt: skip
    if variants == (None,):
        scores, selected = scores.drop(columns="model"), selected.drop(columns="model")
    if len(epochs_grid) == 1:
        scores, selected = scores.drop(columns="epochs"), selected.drop(columns="epochs")
    # A second data set the figure must ignore.
    scores = pd.concat([scores, scores.assign(dataset="other", val_loss=9.0)], ignore_index=True)
    scores.to_csv(directory / "scores.csv", index=False)
    selected.to_csv(directory / "selected.csv", index=False)
    return directory / "scores.csv", directory / "selected.csv"


def artist(ax, label):
    """The line of ``ax`` labelled ``label`` (the figure names its artists)."""
    (line,) = [line for line in ax.get_lines() if line.get_label() == label]
    return line


def band(ax, label):
    """The (x, low, high) of a fill_between band, from its polygon: the upper
    edge runs forward, the lower edge back."""
    (collection,) = [c for c in ax.collections if c.get_label() == label]
    vertices = np.concatenate([path.vertices for path in collection.get_paths()])
    edges = pd.DataFrame(vertices, columns=["x", "y"]).groupby("x")["y"]
    return edges.min(), edges.max()


DIVERGED = {
    # On relu's learning-rate profile (its chosen epochs, 20): seed 13 out.
    ("relu", 0.001, 20, 13),
    # Off both of relu's profiles: drawn nowhere, counted nowhere.
    ("relu", 0.01, 50, 11),
    # Every seed of one value of tanh's learning-rate profile: a gap.
    *(("tanh", 0.1, 50, seed) for seed in SEEDS),
}


@pytest.fixture
def figure(tmp_path):
    scores, selected = write_tables(tmp_path, diverged=DIVERGED)
    return sensitivity_figures.sensitivity_figure(scores, selected, "toy")


def test_the_figure_files_are_written_and_reproducible(tmp_path):
    scores, selected = write_tables(tmp_path, diverged=DIVERGED)
    written = {}
    for attempt in ("a", "b"):
        paths = [tmp_path / f"{attempt}.png", tmp_path / f"{attempt}.svg"]
        sensitivity_figures.plot_sensitivity(scores, selected, "toy", paths)
        written[attempt] = [path.read_bytes() for path in paths]
        assert all(len(content) > 1000 for content in written[attempt])
    assert written["a"] == written["b"], "same tables, same bytes"


def test_each_line_is_the_mean_over_seeds_through_the_chosen_point(figure):
    lr_panel, epochs_panel = figure.axes[:2]
    assert (lr_panel.get_title(), epochs_panel.get_title()) == ("learning_rate", "epochs")
    # tanh along the learning rate at its chosen 50 epochs; 0.1 all diverged.
    tanh = artist(lr_panel, "_mean tanh")
    assert list(tanh.get_xdata()) == LEARNING_RATES
    expected = [objective("tanh", 0.001, 50), objective("tanh", 0.01, 50), np.nan]
    np.testing.assert_allclose(tanh.get_ydata(), expected, rtol=1e-12)
    # relu along the learning rate at its chosen 20 epochs; at 0.001 seed 13
    # diverged, leaving seeds 11 and 12 (noise -0.01 and 0).
    relu = artist(lr_panel, "_mean relu")
    expected = [objective("relu", 0.001, 20) - 0.005, objective("relu", 0.01, 20), objective("relu", 0.1, 20)]
    np.testing.assert_allclose(relu.get_ydata(), expected, rtol=1e-12)
    # Along the epochs, each at its own chosen learning rate; (relu, 0.01, 50)
    # diverged off this profile and changes nothing here.
    for activation in CHOSEN:
        line = artist(epochs_panel, f"_mean {activation}")
        assert list(line.get_xdata()) == EPOCHS
        lr = CHOSEN[activation]["learning_rate"]
        np.testing.assert_allclose(line.get_ydata(), [objective(activation, lr, e) for e in EPOCHS], rtol=1e-12)


def test_the_band_spans_the_finite_seeds(figure):
    lr_panel = figure.axes[0]
    low, high = band(lr_panel, "_band relu")
    for lr in LEARNING_RATES:
        centre = objective("relu", lr, 20)
        top = centre + (0.0 if lr == 0.001 else 0.01)  # seed 13 (+0.01) diverged at 0.001
        assert (low[lr], high[lr]) == (pytest.approx(centre - 0.01), pytest.approx(top))
    low, high = band(lr_panel, "_band tanh")
    assert 0.1 not in low.index, "no band where every seed diverged"


def test_the_chosen_value_is_ringed_at_its_mean(figure):
    lr_panel, epochs_panel = figure.axes[:2]
    for activation, best in CHOSEN.items():
        mean = objective(activation, **best)
        for ax, key in ((lr_panel, "learning_rate"), (epochs_panel, "epochs")):
            ring = artist(ax, f"_chosen {activation}")
            assert list(ring.get_xdata()) == [best[key]]
            assert ring.get_ydata()[0] == pytest.approx(mean, rel=1e-12)
            assert ring.get_marker() == "o" and ring.get_markerfacecolor() == "none"


def test_diverged_runs_are_counted_and_marked(figure):
    lr_panel = figure.axes[0]
    legend = [text.get_text() for text in figure.axes[-1].get_legend().get_texts()]
    assert legend == [
        "tanh · lr=0.01, epochs=50 (3 diverged run(s) left out)",
        "relu · lr=0.1, epochs=20 (1 diverged run(s) left out)",
        "chosen value",
        "every seed diverged",
    ]
    assert list(artist(lr_panel, "_all diverged tanh").get_xdata()) == [0.1]
    assert "_all diverged relu" not in [line.get_label() for line in lr_panel.get_lines()]


def test_axes_name_the_objective_and_scale_the_keys(figure, tmp_path):
    lr_panel, epochs_panel = figure.axes[:2]
    assert lr_panel.get_ylabel() == "final validation loss\n(lower is better)"
    assert lr_panel.get_xscale() == "log", "0.001 to 0.1 spans 100x"
    assert epochs_panel.get_xscale() == "linear", "20 to 50 spans less than 10x"
    assert [t.get_text() for t in lr_panel.get_xticklabels()] == ["0.001", "0.01", "0.1"]
    scores, selected = write_tables(tmp_path, objective_name="val_accuracy")
    accuracy = sensitivity_figures.sensitivity_figure(scores, selected, "toy").axes[0]
    assert accuracy.get_ylabel() == "final validation accuracy\n(higher is better)"
    np.testing.assert_allclose(
        artist(accuracy, "_mean tanh").get_ydata(), [1 - objective("tanh", lr, 50) for lr in LEARNING_RATES]
    )


def test_a_named_key_is_categorical(tmp_path):
    scores, selected = write_tables(tmp_path, epochs_grid=[20])
    table = pd.read_csv(scores)
    # Rename the rates to optimizers: a string key, in grid order (not sorted).
    names = {0.001: "sgd", 0.01: "adam", 0.1: "rmsprop"}
    table = table.rename(columns={"learning_rate": "optimizer"}).replace({"optimizer": names})
    table["point"] = "optimizer=" + table["optimizer"]
    chosen = pd.read_csv(selected).rename(columns={"learning_rate": "optimizer"}).replace({"optimizer": names})
    table.to_csv(scores, index=False)
    chosen.to_csv(selected, index=False)
    (ax,) = sensitivity_figures.sensitivity_figure(scores, selected, "toy").axes
    assert ax.get_xscale() == "linear"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["sgd", "adam", "rmsprop"]
    line = artist(ax, "_mean tanh")
    assert list(line.get_xdata()) == [0, 1, 2]
    # One key: nothing else to hold; every run of the value counts.
    np.testing.assert_allclose(line.get_ydata(), [objective("tanh", lr, 20) for lr in LEARNING_RATES])
    assert list(artist(ax, "_chosen relu").get_xdata()) == [2], "relu chose rmsprop (ex 0.1)"


def test_one_row_per_model_variant(tmp_path):
    scores, selected = write_tables(tmp_path, variants=("shallow", "deep"))
    figure = sensitivity_figures.sensitivity_figure(scores, selected, "toy")
    assert [ax.get_title() for ax in figure.axes] == [
        "shallow · learning_rate", "shallow · epochs", "deep · learning_rate", "deep · epochs",
    ]  # fmt: skip
    for ax in figure.axes:
        assert ax.get_legend() is None or ax in (figure.axes[1], figure.axes[3]), "one legend per row"
    for ax, offset in ((figure.axes[0], 0.0), (figure.axes[2], 0.1)):
        expected = [objective("relu", lr, 20) + offset for lr in LEARNING_RATES]
        np.testing.assert_allclose(artist(ax, "_mean relu").get_ydata(), expected)


def test_a_data_set_without_tuning_runs_says_so(tmp_path):
    scores, selected = write_tables(tmp_path)
    figure = sensitivity_figures.sensitivity_figure(scores, selected, "absent")
    assert "no tuning runs of absent" in figure.axes[0].texts[0].get_text()
