"""The test split in training and in the tables (issue 20, items 1, 2 and 4):
test rows never reach training, the final model is scored on them with the
validation split's definitions, and the statistics rank on them."""

import json

import numpy as np
import pytest

from actzoo import engine
from actzoo.activations import normalise
from actzoo.aggregate import runs_table
from actzoo.datasets import make_dataset
from actzoo.spec import TrainSpec

OUTPUTS = [("history", "history.csv"), ("metrics", "metrics.json"), ("model", "model.keras"),
           ("boundary", "boundary.npz"), ("diagnostics", "diagnostics.csv")]  # fmt: skip
TRAINING = {"engine": "compiled", "epochs": 4, "batch_size": 25, "optimizer": "adam", "learning_rate": 0.01,
            "shuffle": True, "checkpoint_every": 2, "snapshot_epochs": [1], "diagnostics": True}  # fmt: skip


@pytest.fixture(scope="module")
def with_test():
    return make_dataset("circles", 0.3, 0, test_fraction=0.2, n_samples=230, factor=0.2, noise=0.1)


def train_saved(data, directory, monkeypatch, evaluate_test, activation="relu"):
    """train_and_save on ``data``; returns (metrics, the run's files' bytes, the data the engine got)."""
    from actzoo.runs import train_and_save

    monkeypatch.setattr(engine, "configure_threads", lambda: None)  # TensorFlow runs already
    seen = []
    real_train = engine.train
    monkeypatch.setattr(engine, "train", lambda data, *a, **k: seen.append(set(data)) or real_train(data, *a, **k))
    directory.mkdir()
    np.savez(directory / "data.npz", **data)
    outputs = {key: str(directory / name) for key, name in OUTPUTS}
    metrics = train_and_save(directory / "data.npz", outputs, dataset="circles", activation=normalise(activation),
                             seed=3, model={"hidden_units": [4]}, training=TRAINING, planar=True, grid_resolution=12,
                             checkpoint_dir=directory / ".ckpt", code="test", log=lambda message: None,
                             evaluate_test=evaluate_test)  # fmt: skip
    with np.load(directory / "boundary.npz") as boundary:
        files = {"history": (directory / "history.csv").read_bytes(), "boundary": boundary["probabilities"].tobytes(),
                 "diagnostics": (directory / "diagnostics.csv").read_bytes()}  # fmt: skip
    return metrics, files, seen[0]


def test_test_rows_never_reach_training(with_test, tmp_path, monkeypatch):
    """The same run on the data set with and without its test arrays: the
    engine gets the same arrays (so the same checkpoint fingerprint), and the
    history, boundary grids, diagnostics and weights are byte-identical."""
    without = {k: v for k, v in with_test.items() if k not in ("X_test", "y_test")}
    scored, scored_files, scored_seen = train_saved(with_test, tmp_path / "with", monkeypatch, True)
    plain, plain_files, plain_seen = train_saved(without, tmp_path / "without", monkeypatch, True)
    assert scored_seen == plain_seen and not {"X_test", "y_test"} & scored_seen
    assert scored_files == plain_files
    assert scored["final_weights_sha256"] == plain["final_weights_sha256"]
    assert {"test_loss", "test_accuracy"} <= set(scored) and not {"test_loss", "test_accuracy"} & set(plain)


def test_no_test_scores_unless_asked(with_test, tmp_path, monkeypatch):
    """evaluate_test=False (tuning runs): metrics.json gains nothing."""
    metrics, *_ = train_saved(with_test, tmp_path / "run", monkeypatch, False)
    assert not {"test_loss", "test_accuracy"} & set(metrics)
    assert not {"test_loss", "test_accuracy"} & set(json.loads((tmp_path / "run" / "metrics.json").read_text()))


def test_test_scores_are_of_the_test_rows(with_test, tmp_path, monkeypatch):
    """Flipping every test label of a binary task turns test_accuracy into
    1 - test_accuracy and changes test_loss; training is untouched."""
    flipped = {**with_test, "y_test": 1 - with_test["y_test"]}
    scored, files, _ = train_saved(with_test, tmp_path / "a", monkeypatch, True)
    other, other_files, _ = train_saved(flipped, tmp_path / "b", monkeypatch, True)
    assert files == other_files
    assert other["test_accuracy"] == pytest.approx(1 - scored["test_accuracy"], abs=1e-6)
    assert other["test_loss"] != pytest.approx(scored["test_loss"])
    assert 0 < scored["test_accuracy"] < 1


@pytest.mark.parametrize("dataset", ["circles", "sensors", "blobs"])
def test_evaluate_scores_as_the_loop_scores_validation(request, dataset):
    """engine.evaluate on the validation rows gives the history's final
    val_loss and val_accuracy (binary, multi-label, multiclass)."""
    data = request.getfixturevalue(dataset)
    spec = TrainSpec(
        normalise("tanh"), 3, hidden_units=[4], epochs=5, batch_size=25, optimizer="adam", learning_rate=0.01
    )
    result = engine.train(data, spec)
    task = str(data["task"])
    loss, accuracy = engine.evaluate(result["model"], data["X_val"], data["y_val"], task)
    assert loss == pytest.approx(float(result["rows"][-1, 2]), abs=1e-6)
    assert accuracy == pytest.approx(float(result["rows"][-1, 3]), abs=1e-6)


def test_runs_csv_has_test_columns_only_with_test_scores():
    run = {"dataset": "d", "activation": "relu", "seed": 1, "val_loss": 0.5, "val_accuracy": 0.8}
    assert "test_loss" not in runs_table([run]).columns
    columns = list(runs_table([{**run, "test_loss": 0.4, "test_accuracy": 0.9}]).columns)
    assert columns[columns.index("val_accuracy") + 1 :][:2] == ["test_loss", "test_accuracy"]


def test_a_run_with_a_test_split_reports_and_ranks_on_it(tmp_path):
    """End to end: every data set with a test_fraction; the npz holds the
    test rows, metrics.json and runs.csv the test scores, and the summary,
    comparisons and overall answer rank on test_loss."""
    import copy

    import pandas as pd

    from conftest import TINY_CONFIG, copy_workflow, snakemake

    config = copy.deepcopy(TINY_CONFIG)
    config["seeds"] = [1, 2]
    config["training"]["epochs"] = 3
    for spec in config["datasets"].values():
        spec["test_fraction"] = 0.2
    directory = copy_workflow(tmp_path / "run", config)
    snakemake(directory)
    results = directory / "results"
    with np.load(results / "datasets" / "circles.npz") as npz:
        assert [len(npz[k]) for k in ("y_train", "y_val", "y_test")] == [60, 36, 24]
    metrics = json.loads((results / "runs" / "circles" / "relu" / "seed1" / "metrics.json").read_text())
    assert {"test_loss", "test_accuracy"} <= set(metrics)
    runs = pd.read_csv(results / "runs.csv")
    assert runs[["test_loss", "test_accuracy"]].notna().all().all()
    summary = pd.read_csv(results / "summary.csv")
    assert summary["test_loss_mean"].notna().all()
    assert set(pd.read_csv(results / "comparisons.csv")["metric"]) == {"test_loss"}
    assert "test_loss (95% CI)" in (results / "summary.md").read_text()
    assert "by mean final test_loss" in (results / "overall.md").read_text()
