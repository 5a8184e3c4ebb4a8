"""End-to-end: the tiny config through the whole pipeline, then reruns."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import planned_jobs, write_config

RUNS = [(d, a, s) for d in ("circles", "sensors") for a in ("tanh", "relu") for s in (1, 2)]


def test_every_output_of_the_contract_exists(tiny_run):
    results = tiny_run / "results"
    for dataset, task in (("circles", "binary"), ("sensors", "multilabel")):
        with np.load(results / "datasets" / f"{dataset}.npz") as data:
            assert set(data.files) == {"X_train", "y_train", "X_val", "y_val", "task", "classes"}, "not standardised"
            assert str(data["task"]) == task and len(data["classes"]) == 0
            assert len(data["X_val"]) == pytest.approx(0.3 * (len(data["X_train"]) + len(data["X_val"])), abs=1)
    for dataset, activation, seed in RUNS:
        run = results / "runs" / dataset / activation / f"seed{seed}"
        for name in ("history.csv", "metrics.json", "model.keras", "boundary.npz", "diagnostics.csv"):
            assert (run / name).stat().st_size > 0, run / name
        assert not (run / ".ckpt").exists(), "checkpoints are removed after success"
    figures = results / "figures"
    for ext in ("png", "svg"):
        for name in ("activations", "curves_circles", "curves_sensors", "boundaries_circles", "diagnostics_sensors"):
            assert (figures / f"{name}.{ext}").stat().st_size > 1000
        assert not (figures / f"boundaries_sensors.{ext}").exists(), "sensors has 20 features: no boundary"
    for dataset in ("circles", "sensors"):
        assert (tiny_run / "logs" / "train" / dataset / "tanh" / "seed1.log").exists()


def test_history_and_metrics_columns(tiny_run):
    run = tiny_run / "results" / "runs" / "sensors" / "relu" / "seed2"
    history = pd.read_csv(run / "history.csv")
    assert list(history.columns) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert history["epoch"].tolist() == list(range(1, 7))
    assert history[["accuracy", "val_accuracy"]].stack().between(0, 1).all(), "binary accuracy of a multi-label task"
    metrics = json.loads((run / "metrics.json").read_text())
    for key in (
        "dataset",
        "activation",
        "seed",
        "initial_weights_sha256",
        "val_loss",
        "val_accuracy",
        "train_seconds",
        "epochs",
    ):
        assert key in metrics
    assert (metrics["dataset"], metrics["activation"], metrics["seed"], metrics["epochs"]) == ("sensors", "relu", 2, 6)
    assert metrics["val_loss"] == pytest.approx(history["val_loss"].iloc[-1])


def test_initial_weights_equal_across_activations_and_differ_across_seeds(tiny_run):
    runs = tiny_run / "results" / "runs"
    for dataset in ("circles", "sensors"):
        hashes = {
            (a, s): json.loads((runs / dataset / a / f"seed{s}" / "metrics.json").read_text())["initial_weights_sha256"]
            for a in ("tanh", "relu")
            for s in (1, 2)
        }
        assert hashes[("tanh", 1)] == hashes[("relu", 1)]
        assert hashes[("tanh", 2)] == hashes[("relu", 2)]
        assert hashes[("tanh", 1)] != hashes[("tanh", 2)]


def test_merged_tables(tiny_run):
    results = tiny_run / "results"
    histories = pd.read_csv(results / "histories.csv")
    assert list(histories.columns)[:8] == [
        "dataset",
        "activation",
        "seed",
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
    ]
    assert len(histories) == len(RUNS) * 6
    assert not histories.duplicated(["dataset", "activation", "seed", "epoch"]).any()
    summary = pd.read_csv(results / "summary.csv")
    for column in (
        "dataset",
        "activation",
        "n_seeds",
        "val_loss_mean",
        "val_loss_std",
        "val_accuracy_mean",
        "val_accuracy_std",
        "rank",
    ):
        assert column in summary.columns
    assert len(summary) == 4 and (summary["n_seeds"] == 2).all()
    best = summary.loc[summary.groupby("dataset")["val_loss_mean"].idxmin()]
    assert (best["rank"] == 1).all(), "the lowest mean val_loss always has rank 1"
    diagnostics = pd.read_csv(results / "diagnostics.csv")
    assert list(diagnostics.columns) == [
        "dataset",
        "activation",
        "seed",
        "epoch",
        "layer",
        "grad_norm",
        "act_mean",
        "act_std",
        "flat_fraction",
        "dead_units",
    ]
    assert len(diagnostics) == len(RUNS) * 7, "epochs 0-6, one hidden layer"
    assert diagnostics[["flat_fraction", "dead_units"]].stack().between(0, 1).all()
    assert (diagnostics["grad_norm"] > 0).all() and (diagnostics["act_std"] > 0).all()
    provenance = json.loads((results / "provenance.json").read_text())
    assert provenance["runs"] == len(RUNS) and len(provenance["code_sha256"]) == 1
    assert "tensorflow-cpu" in provenance["versions"][0] or "tensorflow" in provenance["versions"][0]


def test_nothing_to_do_on_second_run(tiny_run):
    assert planned_jobs(tiny_run) == {}


def test_activation_range_reruns_only_the_activation_table_and_figure(tiny_copy):
    config = yaml.safe_load((tiny_copy / "config.yaml").read_text())
    config["figures"]["activation_range"] = 3
    write_config(tiny_copy, config)
    assert planned_jobs(tiny_copy) == {"tabulate_activations": 1, "plot_activations": 1, "all": 1}


def test_new_activation_and_seed_run_only_new_training(tiny_copy):
    config = yaml.safe_load((tiny_copy / "config.yaml").read_text())
    config["activations"].append("sigmoid")
    write_config(tiny_copy, config)
    jobs = planned_jobs(tiny_copy)
    assert jobs["train"] == 2 * 2, "one new activation x 2 data sets x 2 seeds"
    assert "make_dataset" not in jobs
    config["activations"].pop()
    config["seeds"].append(7)
    write_config(tiny_copy, config)
    jobs = planned_jobs(tiny_copy)
    assert jobs["train"] == 2 * 2, "one new seed x 2 activations x 2 data sets"
    assert {"merge_histories", "summarize"} <= set(jobs)


def test_training_option_reruns_training_not_data(tiny_copy):
    config = yaml.safe_load((tiny_copy / "config.yaml").read_text())
    config["training"]["epochs"] = 7
    write_config(tiny_copy, config)
    jobs = planned_jobs(tiny_copy)
    assert jobs["train"] == len(RUNS) and "make_dataset" not in jobs
    config["training"]["epochs"] = 6
    config["training"]["threads"] = 2
    write_config(tiny_copy, config)
    assert planned_jobs(tiny_copy) == {}, "threads do not change results, so they trigger nothing"


def test_boundary_settings_retrain_only_two_dimensional_data(tiny_copy):
    """The grids are computed in the training jobs; sensors (20-D) has none."""
    config = yaml.safe_load((tiny_copy / "config.yaml").read_text())
    config["figures"]["grid_resolution"] = 25
    config["training"]["snapshot_epochs"] = [2]
    write_config(tiny_copy, config)
    jobs = planned_jobs(tiny_copy)
    assert jobs["train"] == 4, "circles only: 2 activations x 2 seeds"
    assert "make_dataset" not in jobs and "plot_curves" in jobs


def test_explorer_settings(tiny_copy):
    """More explorer frames retrain 2-D runs (their grids are saved while
    training); fewer embedded seeds only rebuild the page."""
    config = yaml.safe_load((tiny_copy / "config.yaml").read_text())
    config["figures"]["explorer_frames"] = 3
    write_config(tiny_copy, config)
    jobs = planned_jobs(tiny_copy)
    assert jobs["train"] == 4 and "build_explorer" in jobs, "circles only: 2 activations x 2 seeds"
    config["figures"].pop("explorer_frames")
    config["figures"]["explorer_seeds"] = 1
    write_config(tiny_copy, config)
    assert planned_jobs(tiny_copy) == {"build_explorer": 1, "all": 1}


def test_dataset_model_override_reruns_its_training_only(tiny_copy):
    config = yaml.safe_load((tiny_copy / "config.yaml").read_text())
    config["datasets"]["sensors"]["model"]["hidden_units"] = [5]
    write_config(tiny_copy, config)
    jobs = planned_jobs(tiny_copy)
    assert jobs["train"] == 4 and "make_dataset" not in jobs and "plot_boundaries" not in jobs
