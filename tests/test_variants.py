"""Model variants (config ``models:``): a sweep axis of architectures and
training overrides, crossed with every data set, activation and seed."""

import copy
import json

import pandas as pd
import pytest

from actzoo.stats import summarize
from conftest import TINY_CONFIG, copy_workflow, planned_jobs, snakemake, write_config

VARIANTS = {
    "shallow": {"hidden_units": [3]},
    "deep": {"hidden_units": [4, 4, 4], "training": {"learning_rate": 0.01}},
}
CONFIG = {
    **copy.deepcopy(TINY_CONFIG),
    "datasets": {"circles": TINY_CONFIG["datasets"]["circles"]},
    "models": VARIANTS,
}


@pytest.fixture(scope="module")
def variant_run(tmp_path_factory):
    directory = copy_workflow(tmp_path_factory.mktemp("variants"), CONFIG)
    snakemake(directory)
    return directory


@pytest.mark.slow
def test_every_variant_trains_every_run_under_its_own_path(variant_run):
    runs = variant_run / "results" / "runs" / "circles"
    assert sorted(p.name for p in runs.iterdir()) == ["deep", "shallow"]
    for name, settings in VARIANTS.items():
        for activation in ("tanh", "relu"):
            for seed in (1, 2):
                metrics = json.loads((runs / name / activation / f"seed{seed}" / "metrics.json").read_text())
                assert (metrics["model"], metrics["activation"], metrics["seed"]) == (name, activation, seed)
                assert metrics["hyperparameters"]["model"]["hidden_units"] == settings["hidden_units"]
                expected_rate = settings.get("training", {}).get("learning_rate", 0.001)
                assert metrics["hyperparameters"]["training"]["learning_rate"] == expected_rate


@pytest.mark.slow
def test_a_variant_keeps_the_same_initial_weights_across_activations(variant_run):
    table = pd.read_csv(variant_run / "results" / "runs.csv")
    assert list(table.columns[:4]) == ["dataset", "model", "activation", "seed"]
    same = table.groupby(["model", "seed"])["initial_weights_sha256"].nunique()
    assert (same == 1).all(), "every activation of a (variant, seed) starts from the same weights"
    assert table.groupby("seed")["initial_weights_sha256"].nunique().min() == 2, "variants differ"


@pytest.mark.slow
def test_statistics_and_figures_are_per_variant(variant_run):
    results = variant_run / "results"
    summary = pd.read_csv(results / "summary.csv")
    assert list(summary.columns[:3]) == ["dataset", "model", "activation"]
    assert sorted(zip(summary["model"], summary["activation"])) == sorted(
        (m, a) for m in VARIANTS for a in ("tanh", "relu")
    )
    assert set(summary.groupby("model")["rank"].min()) == {1}, "a ranking per variant"
    comparisons = pd.read_csv(results / "comparisons.csv")
    assert sorted(comparisons["model"]) == ["deep", "shallow"], "one pair per variant"
    markdown = (results / "summary.md").read_text()
    assert "### circles · shallow" in markdown and "### circles · deep" in markdown
    histories = pd.read_csv(results / "histories.csv")
    assert list(histories.columns[:4]) == ["dataset", "model", "activation", "seed"]
    for figure in ("curves", "boundaries", "evolution", "boundaries_seeds", "depth"):
        assert (results / "figures" / f"{figure}_circles.png").stat().st_size > 10_000
    for name in VARIANTS:
        assert (results / "figures" / f"diagnostics_circles_{name}.png").stat().st_size > 10_000
    assert "circles · deep" in (results / "explorer.html").read_text()


@pytest.mark.slow
def test_diagnostics_are_per_variant_and_layer(variant_run):
    table = pd.read_csv(variant_run / "results" / "diagnostics.csv")
    assert list(table.columns[:4]) == ["dataset", "model", "activation", "seed"]
    layers = table.groupby("model")["layer"].max().to_dict()
    assert layers == {name: len(settings["hidden_units"]) for name, settings in VARIANTS.items()}


@pytest.mark.slow
def test_adding_a_variant_runs_only_its_jobs_and_the_aggregates(variant_run, tmp_path):
    import shutil

    directory = tmp_path / "run"
    shutil.copytree(variant_run, directory, symlinks=True)
    config = copy.deepcopy(CONFIG)
    config["models"]["wide"] = {"hidden_units": [16]}
    write_config(directory, config)
    jobs = planned_jobs(directory)
    assert jobs["train"] == 2 * 2, "the new variant's 2 activations x 2 seeds"
    assert "make_dataset" not in jobs and {"merge_histories", "summarize"} <= set(jobs)


def test_ranks_are_computed_per_data_set_and_variant():
    """Two variants where the activations' order flips: each gets its own ranking."""
    rows = []
    for model, better in (("a", "tanh"), ("b", "relu")):
        for activation in ("tanh", "relu"):
            for seed in range(1, 9):
                loss = 0.2 + 0.01 * seed + (0 if activation == better else 0.3)
                rows.append(("d", model, activation, seed, loss, 0.9, 10, False, None, 1.0))
    runs = pd.DataFrame(
        rows,
        columns=["dataset", "model", "activation", "seed", "val_loss", "val_accuracy", "best_epoch",
                 "diverged", "diverged_epoch", "train_seconds"],
    )  # fmt: skip
    histories = runs.assign(epoch=1)[["dataset", "model", "activation", "seed", "epoch", "val_loss", "val_accuracy"]]
    summary, comparisons = summarize(histories, runs)
    ranked = {(m, a): r for m, a, r in zip(summary["model"], summary["activation"], summary["rank"])}
    assert ranked == {("a", "tanh"): 1, ("a", "relu"): 2, ("b", "relu"): 1, ("b", "tanh"): 2}
    assert len(comparisons) == 2 and comparisons["significant"].all()


def test_without_variants_paths_and_tables_are_unchanged(tiny_run):
    """The contract of a config without `models:`: no model level, no model column."""
    results = tiny_run / "results"
    assert (results / "runs" / "circles" / "tanh" / "seed1" / "history.csv").is_file()
    for table in ("runs.csv", "histories.csv", "summary.csv", "comparisons.csv"):
        assert "model" not in pd.read_csv(results / table).columns, table
    assert "model" not in json.loads((results / "runs" / "circles" / "tanh" / "seed1" / "metrics.json").read_text())


@pytest.mark.slow
def test_a_variant_run_is_reproduced_bit_for_bit(variant_run, tmp_path):
    """Another directory, another process: the same histories, diagnostics and weights."""
    directory = copy_workflow(tmp_path / "again", CONFIG)
    snakemake(directory, "results/runs.csv", "results/diagnostics.csv")
    for name in ("histories.csv", "diagnostics.csv"):
        assert (directory / "results" / name).read_bytes() == (variant_run / "results" / name).read_bytes(), name
    first, second = (pd.read_csv(d / "results" / "runs.csv") for d in (variant_run, directory))
    assert first["final_weights_sha256"].tolist() == second["final_weights_sha256"].tolist()
