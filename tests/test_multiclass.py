"""Multiclass and real data end to end: a 3-class blobs set, iris and
breast_cancer in one tiny run, with the guarantees of the binary data sets:
byte-identical reruns in another process and directory, and the
between-workflow cache. Three data sets and three activations also make the
overall verdict (Friedman, Nemenyi) run for real."""

import copy
import json

import numpy as np
import pandas as pd
import pytest

from conftest import copy_workflow, dot_test_config, snakemake

MULTICLASS_CONFIG = dot_test_config("multiclass.yaml")
RUN_FILES = ("history.csv", "diagnostics.csv", "metrics.json", "model.keras", "boundary.npz")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    directory = tmp_path_factory.mktemp("cache")
    return {"SNAKEMAKE_OUTPUT_CACHE": str(directory)}


@pytest.fixture(scope="module")
def multiclass_run(tmp_path_factory, cache):
    """The run, filling the cache; training in the warm worker."""
    directory = copy_workflow(tmp_path_factory.mktemp("multiclass"), copy.deepcopy(MULTICLASS_CONFIG))
    snakemake(directory, "--cache", env=cache)
    return directory


def run_dirs(directory):
    return sorted(p.relative_to(directory) for p in (directory / "results" / "runs").glob("*/*/seed*"))


@pytest.mark.slow
def test_each_data_set_has_its_task_output_layer_and_figures(multiclass_run):
    results = multiclass_run / "results"
    expected = {"blobs": ("multiclass", 3), "iris": ("multiclass", 3), "breast_cancer": ("binary", 1)}
    for name, (task, outputs) in expected.items():
        with np.load(results / "datasets" / f"{name}.npz") as data:
            assert str(data["task"]) == task
            if name != "blobs":  # the real data sets are standardised by default
                np.testing.assert_allclose(data["X_train"].mean(axis=0), 0, atol=1e-5)
                assert data["feature_mean"].shape == (data["X_train"].shape[1],)
        metrics = json.loads((results / "runs" / name / "relu" / "seed1" / "metrics.json").read_text())
        assert metrics["task"] == task
    with np.load(results / "runs" / "blobs" / "tanh" / "seed2" / "boundary.npz") as boundary:
        p = boundary["probabilities"]
        assert p.shape == (3, 20, 20, 3), "epochs 1, 3 and the final one; a probability per class"
        np.testing.assert_allclose(p.sum(axis=-1), 1, atol=1e-5), "a softmax output"
        assert boundary["explorer_probabilities"].shape == (7, 20, 20, 3)
    import keras

    model = keras.saving.load_model(results / "runs" / "iris" / "relu" / "seed1" / "model.keras")
    assert model.layers[-1].units == 3 and model.layers[-1].activation.__name__ == "softmax"
    figures = {p.name for p in (results / "figures").glob("*.png")}
    assert {"boundaries_blobs.png", "evolution_blobs.png", "boundaries_seeds_blobs.png"} <= figures
    assert not any("iris" in name and "boundar" in name for name in figures), "no boundary for 4-D data"
    histories = pd.read_csv(results / "histories.csv")
    assert histories["val_accuracy"].between(0, 1).all()
    assert len(histories) == 3 * 3 * 2 * 6


@pytest.mark.slow
def test_the_overall_verdict_runs_with_three_data_sets(multiclass_run):
    overall = pd.read_csv(multiclass_run / "results" / "overall.csv")
    assert sorted(overall["activation"]) == ["relu", "sigmoid", "tanh"]
    assert overall["friedman_p"].notna().all() and (overall["n_tasks"] == 3).all()
    assert overall["mean_rank"].sum() == pytest.approx(6), "ranks 1..3 on each data set, averaged"
    text = (multiclass_run / "results" / "overall.md").read_text()
    assert "Friedman" in text and "no overall verdict" not in text
    page = (multiclass_run / "results" / "explorer.html").read_text()
    assert '"multiclass":true' in page and '"name":"blobs"' in page and '"name":"iris"' not in page


@pytest.mark.slow
def test_reruns_are_byte_identical_and_the_cache_serves_every_run(multiclass_run, cache, tmp_path):
    """Another directory, each job in its own process: the same bytes. A
    third directory gets all 18 training jobs from the cache."""
    other = copy_workflow(tmp_path / "other", copy.deepcopy(MULTICLASS_CONFIG))
    snakemake(other, env={"ACTZOO_WORKER": "0"})
    runs = run_dirs(multiclass_run)
    assert len(runs) == 18 and runs == run_dirs(other)
    for run in runs:
        for table in ("history.csv", "diagnostics.csv"):
            assert (multiclass_run / run / table).read_bytes() == (other / run / table).read_bytes(), f"{run}/{table}"
        with np.load(multiclass_run / run / "boundary.npz") as first, np.load(other / run / "boundary.npz") as again:
            for key in first.files:
                assert np.array_equal(first[key], again[key]), f"{run}: {key}"
        metrics_1 = json.loads((multiclass_run / run / "metrics.json").read_text())
        metrics_2 = json.loads((other / run / "metrics.json").read_text())
        metrics_1.pop("train_seconds"), metrics_2.pop("train_seconds")
        assert metrics_1 == metrics_2, run
    for name in ("blobs", "iris", "breast_cancer"):
        with (
            np.load(multiclass_run / "results" / "datasets" / f"{name}.npz") as a,
            np.load(other / "results" / "datasets" / f"{name}.npz") as b,
        ):
            assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files), name

    cached = copy_workflow(tmp_path / "cached", copy.deepcopy(MULTICLASS_CONFIG))
    result = snakemake(cached, "--cache", env=cache)
    output = result.stdout + result.stderr
    assert "to cache" not in output, "nothing trained"
    assert output.count("from cache") == 18 * len(RUN_FILES)
    assert (cached / "results" / "histories.csv").read_bytes() == (
        multiclass_run / "results" / "histories.csv"
    ).read_bytes()


def test_a_resumed_multiclass_run_matches_an_uninterrupted_one(blobs, tmp_path, monkeypatch):
    """In-process: kill after the epoch-4 checkpoint (kept by not removing
    it), resume; weights, histories, class-probability snapshots and
    diagnostics are those of the run that was never interrupted."""
    from actzoo import checkpoints, engine
    from actzoo.activations import check_all
    from actzoo.spec import TrainSpec

    spec = TrainSpec(
        activation=check_all(["relu"])["relu"], seed=1, hidden_units=[5], epochs=6, batch_size=16,
        optimizer="adam", learning_rate=0.01, grid_resolution=12, snapshot_epochs=[0, 1, 3, 5],
    )  # fmt: skip
    fresh = engine.train(blobs, spec)
    ckpt = tmp_path / "ckpt"
    with monkeypatch.context() as patch:
        patch.setattr(checkpoints.Checkpoint, "remove", lambda self: None)
        engine.train(blobs, spec, checkpoint_dir=ckpt, checkpoint_every=2)
    resumed = engine.train(blobs, spec, checkpoint_dir=ckpt, checkpoint_every=2)
    assert resumed["resumed_from_epoch"] == 4
    assert resumed["final_weights_sha256"] == fresh["final_weights_sha256"]
    assert np.array_equal(resumed["rows"], fresh["rows"])
    assert np.array_equal(resumed["diagnostics"], fresh["diagnostics"])
    assert sorted(resumed["snapshots"]) == [0, 1, 3, 5]
    for epoch, grid_p in fresh["snapshots"].items():
        assert grid_p.shape == (12, 12, 3)
        assert np.array_equal(resumed["snapshots"][epoch], grid_p), epoch
