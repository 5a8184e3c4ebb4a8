"""Tuning (actzoo.tuning, config ``tuning:``): the grid, the choice of a point
per activation, and, end to end, that reruns stay precise around the
selection checkpoint."""

import copy
import json
import math
import re

import pandas as pd
import pytest

from actzoo.tuning import grid_points, point_name, read_selection, scores_table, select, split_settings
from conftest import copy_workflow, dot_test_config, snakemake, write_config

GRID = {"learning_rate": [0.01, 0.1], "batch_size": [16, 8]}


def test_grid_points_in_grid_order_with_readable_names():
    points = grid_points(GRID)
    assert list(points) == [
        "learning_rate=0.01,batch_size=16",
        "learning_rate=0.01,batch_size=8",
        "learning_rate=0.1,batch_size=16",
        "learning_rate=0.1,batch_size=8",
    ]
    assert points["learning_rate=0.1,batch_size=8"] == {"learning_rate": 0.1, "batch_size": 8}
    assert point_name({"learning_rate": 1e-05}) == "learning_rate=1e-05"


def test_a_point_splits_into_training_and_model_settings():
    assert split_settings({"learning_rate": 0.1, "initializer": "he_normal", "epochs": 5}) == (
        {"learning_rate": 0.1, "epochs": 5},
        {"initializer": "he_normal"},
    )


def scores(rows):
    """A scores table of one data set from (activation, point values, seed, val_loss, val_accuracy) rows."""
    metrics = [
        {
            "dataset": "d",
            "activation": activation,
            "seed": seed,
            "tuned": values,
            "diverged": loss is None,
            "val_loss": math.nan if loss is None else loss,
            "val_accuracy": math.nan if loss is None else accuracy,
        }
        for activation, values, seed, loss, accuracy in rows
    ]
    return scores_table(metrics, list(rows[0][1]))


def lr(value):
    return {"learning_rate": value}


POINTS = grid_points({"learning_rate": [0.001, 0.01, 0.1]})


def test_the_best_mean_objective_wins_with_its_spread_and_the_runner_up():
    table = scores(
        [
            ("relu", lr(0.001), 1, 0.5, 0.7),
            ("relu", lr(0.001), 2, 0.7, 0.6),
            ("relu", lr(0.01), 1, 0.2, 0.9),
            ("relu", lr(0.01), 2, 0.4, 0.8),
            ("relu", lr(0.1), 1, 0.3, 0.95),
            ("relu", lr(0.1), 2, 0.35, 0.96),
        ]
    )
    row = select(table, "val_loss", POINTS).iloc[0]
    assert (row["point"], row["learning_rate"]) == ("learning_rate=0.01", 0.01)
    assert row["objective_mean"] == pytest.approx(0.3)
    assert row["objective_std"] == pytest.approx(pd.Series([0.2, 0.4]).std())
    assert (row["runner_up"], row["runner_up_mean"]) == ("learning_rate=0.1", pytest.approx(0.325))
    # Accuracy: higher is better, so the other point wins.
    row = select(table, "val_accuracy", POINTS).iloc[0]
    assert (row["point"], row["objective_mean"]) == ("learning_rate=0.1", pytest.approx(0.955))


def test_a_point_with_a_diverged_seed_loses_to_one_without():
    table = scores(
        [
            ("tanh", lr(0.1), 1, 0.01, 1.0),
            ("tanh", lr(0.1), 2, None, None),  # diverged: its other seed must not carry it
            ("tanh", lr(0.01), 1, 0.3, 0.9),
            ("tanh", lr(0.01), 2, 0.3, 0.9),
        ]
    )
    row = select(table, "val_loss", POINTS).iloc[0]
    assert row["point"] == "learning_rate=0.01"
    assert row["runner_up"] == "learning_rate=0.1" and row["n_diverged"] == 0


def test_ties_go_to_the_steadier_point_then_to_the_earlier_in_the_grid():
    table = scores(
        [
            ("relu", lr(0.001), 1, 0.25, 1.0),
            ("relu", lr(0.001), 2, 0.75, 1.0),
            ("relu", lr(0.1), 1, 0.5, 1.0),
            ("relu", lr(0.1), 2, 0.5, 1.0),
        ]
    )
    # The same mean loss, 0.5: the point with the smaller SD over seeds.
    assert select(table, "val_loss", POINTS).iloc[0]["point"] == "learning_rate=0.1"
    # The same mean accuracy and SD: the earlier point in the grid.
    assert select(table, "val_accuracy", POINTS).iloc[0]["point"] == "learning_rate=0.001"
    reordered = grid_points({"learning_rate": [0.1, 0.001]})
    assert select(table, "val_accuracy", reordered).iloc[0]["point"] == "learning_rate=0.1"


def test_a_choice_at_the_edge_of_the_grid_is_flagged():
    table = scores(
        [
            ("relu", lr(0.001), 1, 0.5, 0.7),
            ("relu", lr(0.01), 1, 0.3, 0.8),
            ("relu", lr(0.1), 1, 0.1, 0.9),
            ("tanh", lr(0.001), 1, 0.5, 0.7),
            ("tanh", lr(0.01), 1, 0.1, 0.9),
            ("tanh", lr(0.1), 1, 0.3, 0.8),
        ]
    )
    edges = select(table, "val_loss", POINTS).set_index("activation")["at_grid_edge"].to_dict()
    assert edges == {"relu": "learning_rate", "tanh": ""}
    # Names have no edge; a key with one value has none either.
    points = grid_points({"learning_rate": [0.01], "optimizer": ["adam", "sgd"]})
    table = scores([("relu", {"learning_rate": 0.01, "optimizer": "sgd"}, 1, 0.1, 0.9)])
    assert select(table, "val_loss", points).iloc[0]["at_grid_edge"] == ""


def test_each_activation_and_data_set_gets_its_own_choice():
    table = scores(
        [
            ("relu", lr(0.001), 1, 0.5, 0.7),
            ("relu", lr(0.1), 1, 0.1, 0.9),
            ("sigmoid", lr(0.001), 1, 0.2, 0.9),
            ("sigmoid", lr(0.1), 1, 0.6, 0.5),
        ]
    )
    chosen = select(table, "val_loss", POINTS).set_index("activation")["point"].to_dict()
    assert chosen == {"relu": "learning_rate=0.1", "sigmoid": "learning_rate=0.001"}


def test_read_selection_types_the_values_as_the_grid_does(tmp_path):
    table = scores([("relu", {"learning_rate": 0.1, "batch_size": 8}, 1, 0.1, 0.9)])
    path = tmp_path / "selected.csv"
    select(table, "val_loss", grid_points(GRID)).to_csv(path, index=False)
    assert read_selection(path, grid_points(GRID)) == {("d", None, "relu"): {"learning_rate": 0.1, "batch_size": 8}}


# End to end: a grid of two learning rates, two tuning seeds, two evaluation seeds.
TUNED_CONFIG = dot_test_config("tuned.yaml")


def jobs_run(result):
    """{rule: jobs} that a real snakemake run executed (from its log)."""
    counts = {}
    for rule in re.findall(r"^(?:local)?(?:rule|checkpoint) (\w+):", result.stderr + result.stdout, re.MULTILINE):
        counts[rule] = counts.get(rule, 0) + 1
    return counts


@pytest.fixture(scope="module")
def tuned_run(tmp_path_factory):
    directory = copy_workflow(tmp_path_factory.mktemp("tuned"), TUNED_CONFIG)
    ran = jobs_run(snakemake(directory))
    assert ran["tune"] == 8 and ran["train"] == 4 and ran["train_fixed"] == 4, ran
    return directory


@pytest.mark.slow
def test_evaluation_runs_train_with_the_chosen_settings(tuned_run):
    selected = pd.read_csv(tuned_run / "results" / "tuning" / "selected.csv").set_index("activation")
    runs = pd.read_csv(tuned_run / "results" / "runs.csv")
    for _, run in runs.iterrows():
        chosen = selected.at[run["activation"], "learning_rate"]
        assert run["settings"] == f"learning_rate={chosen}"
        path = tuned_run / "results" / "runs" / "circles" / run["activation"] / f"seed{run['seed']}" / "metrics.json"
        metrics = json.loads(path.read_text())
        assert metrics["hyperparameters"]["training"]["learning_rate"] == chosen
        assert metrics["tuned"] == {"learning_rate": chosen}
    fixed = pd.read_csv(tuned_run / "results" / "fixed" / "runs.csv")
    assert "settings" not in fixed.columns and len(fixed) == 4
    summary = pd.read_csv(tuned_run / "results" / "summary.csv")
    assert sorted(summary["tuning"].unique()) == ["fixed", "tuned"]
    markdown = (tuned_run / "results" / "summary.md").read_text()
    assert "## Fixed settings against tuned ones" in markdown
    for activation, edge in selected["at_grid_edge"].fillna("").items():
        chosen = f"learning_rate={selected.at[activation, 'learning_rate']}"
        assert f"| {chosen}{' (grid edge)' if edge else ''} |" in markdown, (activation, markdown)
    overall = pd.read_csv(tuned_run / "results" / "overall.csv")
    assert len(overall) == 2, "the verdict across data sets ranks the tuned runs only"


@pytest.mark.slow
def test_reruns_stay_precise_around_the_selection(tuned_run, tmp_path):
    import shutil

    directory = tmp_path / "run"
    shutil.copytree(tuned_run, directory, symlinks=True)
    config = copy.deepcopy(TUNED_CONFIG)

    # An evaluation seed more: its evaluation and fixed runs, no tuning run.
    config["seeds"] = [1, 2, 3]
    write_config(directory, config)
    ran = jobs_run(snakemake(directory))
    assert ran.get("tune", 0) == 0 and "select_settings" not in ran, ran
    assert ran["train"] == 2 and ran["train_fixed"] == 2, ran

    # A grid value more: its tuning runs, the selection, and the evaluations
    # of exactly the activations whose choice changed (the first value here
    # changes some choices, the second none).
    changes = []
    for value in (0.1, 0.003):
        before = pd.read_csv(directory / "results" / "tuning" / "selected.csv").set_index("activation")["point"]
        config["tuning"]["grid"]["learning_rate"].append(value)
        write_config(directory, config)
        ran = jobs_run(snakemake(directory))
        after = pd.read_csv(directory / "results" / "tuning" / "selected.csv").set_index("activation")["point"]
        changes.append(int((before != after[before.index]).sum()))
        assert ran["tune"] == 4 and ran["select_settings"] == 1, ran
        assert ran.get("train", 0) == 3 * changes[-1], (ran, before.to_dict(), after.to_dict())
        assert ran.get("train_fixed", 0) == 0, ran
    assert changes[0] > 0 and changes[1] == 0, changes

    # A figure's code edited: the figure again, no training of any kind.
    curves = directory / "workflow" / "scripts" / "actzoo" / "curve_figures.py"
    curves.write_text(curves.read_text() + "\n# an edit\n")
    ran = jobs_run(snakemake(directory))
    assert "plot_curves" in ran and not {"tune", "train", "train_fixed"} & set(ran), ran


# No leaks: the choice never sees a test row. A CSV data set, so that single
# labels can be changed; small, so that each rerun takes seconds.
def leak_config():
    config = copy.deepcopy(TUNED_CONFIG)
    config["activations"], config["seeds"] = ["tanh", "relu"], [1]
    config["datasets"] = {
        "table": {
            "generator": "csv",
            "path": "data.csv",
            "features": ["x1", "x2"],
            "labels": ["y"],
            "validation_fraction": 0.2,
            "test_fraction": 0.2,
        }
    }
    config["training"]["epochs"] = 5
    config["tuning"] = {"seeds": [11], "grid": {"learning_rate": [0.01, 0.1]}}
    return config


def tuning_outputs(directory):
    """selected.csv and every tuning run's history, as bytes by path."""
    results = directory / "results" / "tuning"
    paths = [results / "selected.csv", *sorted(results.glob("runs/**/history.csv"))]
    return {str(path.relative_to(directory)): path.read_bytes() for path in paths}


@pytest.fixture(scope="module")
def leak_run(tmp_path_factory):
    from sklearn.datasets import make_circles

    directory = copy_workflow(tmp_path_factory.mktemp("leak"), leak_config())
    X, y = make_circles(n_samples=150, factor=0.3, noise=0.1, random_state=0)
    pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "y": y}).to_csv(directory / "data.csv", index=False)
    snakemake(directory)
    return directory


def relabelled_copy(leak_run, tmp_path, split, swap):
    """A copy of the leak run whose data.csv has labels changed in ``split``:
    ``swap`` two adjacent rows of different classes there (which keeps every
    split's rows, see datasets.split_indices), else flip one row's label."""
    import shutil

    from actzoo.datasets import split_indices

    directory = tmp_path / "run"
    shutil.copytree(leak_run, directory, symlinks=True)
    table = pd.read_csv(directory / "data.csv")
    y = table["y"].to_numpy()
    rows = set(split_indices(y, 0.2, 0, stratify=True, test_fraction=0.2)[split].tolist())
    if swap:
        first = next(i for i in sorted(rows) if i + 1 in rows and y[i] != y[i + 1])
        table.loc[[first, first + 1], "y"] = y[[first + 1, first]]
    else:
        row = min(rows)
        table.loc[row, "y"] = 1 - y[row]
    table.to_csv(directory / "data.csv", index=False)
    return directory


@pytest.mark.slow
def test_test_labels_change_the_test_metrics_and_nothing_of_the_choice(leak_run, tmp_path):
    directory = relabelled_copy(leak_run, tmp_path, "test", swap=True)
    snakemake(directory)
    assert tuning_outputs(directory) == tuning_outputs(leak_run)
    before, after = (pd.read_csv(d / "results" / "runs.csv") for d in (leak_run, directory))
    assert (before[["val_loss", "val_accuracy"]] == after[["val_loss", "val_accuracy"]]).all().all()
    assert (before["test_loss"] != after["test_loss"]).all(), "the test metrics see the new labels"


@pytest.mark.slow
def test_a_validation_label_reaches_the_choice(leak_run, tmp_path):
    directory = relabelled_copy(leak_run, tmp_path, "val", swap=False)
    snakemake(directory)
    before, after = (pd.read_csv(d / "results" / "tuning" / "scores.csv") for d in (leak_run, directory))
    assert (before["val_loss"] != after["val_loss"]).all(), "every tuning run is judged on the validation labels"
