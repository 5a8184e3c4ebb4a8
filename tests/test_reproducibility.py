"""Reruns you can trust: code edits rerun exactly what they affect, results are
bit-identical, and the between-workflow cache keeps every run apart."""

import copy
import json
import os
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import TINY_CONFIG, copy_workflow, planned_jobs, snakemake, write_config

SCRIPTS = "workflow/scripts"
PLOT_RULES = {
    "plot_curves",
    "plot_boundaries",
    "plot_activations",
    "plot_evolution",
    "plot_seed_boundaries",
    "plot_diagnostics",
    "plot_sensitivity",
}


def append_comment(path):
    with open(path, "a") as handle:
        handle.write("\n# an edit that changes the file's content\n")


def test_editing_the_training_module_reruns_training_and_downstream_only(tiny_copy):
    append_comment(tiny_copy / SCRIPTS / "actzoo" / "engine.py")
    jobs = planned_jobs(tiny_copy)
    assert jobs["train"] == 8
    assert {"merge_histories", "summarize", "plot_curves", "plot_boundaries"} <= set(jobs)
    assert "make_dataset" not in jobs
    assert "tabulate_activations" not in jobs, "activation tables do not import the engine"


def test_editing_a_plotting_helper_reruns_only_plots(tiny_copy):
    append_comment(tiny_copy / SCRIPTS / "actzoo" / "figure_parts.py")
    jobs = planned_jobs(tiny_copy)
    assert jobs and set(jobs) - {"all"} <= PLOT_RULES
    assert "plot_curves" in jobs


def test_editing_one_kind_of_figure_reruns_those_figures_only(tiny_copy):
    """Module boundaries are rerun boundaries: the boundary figures' module
    is imported by their three scripts and nothing else."""
    append_comment(tiny_copy / SCRIPTS / "actzoo" / "boundary_figures.py")
    jobs = planned_jobs(tiny_copy)
    assert jobs == {"plot_boundaries": 1, "plot_evolution": 1, "plot_seed_boundaries": 1, "all": 1}


def test_editing_the_labels_reruns_figures_and_the_explorer_only(tiny_copy):
    """actzoo/labels.py names tuned settings for the figures and the explorer
    page both; the explorer imports no figure module."""
    append_comment(tiny_copy / SCRIPTS / "actzoo" / "labels.py")
    jobs = planned_jobs(tiny_copy)
    assert "build_explorer" in jobs and "plot_curves" in jobs
    assert set(jobs) - {"all"} <= PLOT_RULES | {"build_explorer"}


def test_editing_the_data_module_reruns_everything_that_depends_on_data(tiny_copy):
    append_comment(tiny_copy / SCRIPTS / "actzoo" / "datasets.py")
    jobs = planned_jobs(tiny_copy)
    assert jobs["make_dataset"] == 2 and jobs["train"] == 8


def test_touching_code_without_changing_it_reruns_nothing(tiny_copy):
    """Decision: reruns follow content. A touch, a fresh clone or a branch
    switch back and forth must not retrain (see profiles/default)."""
    later = time.time() + 5
    for path in (tiny_copy / SCRIPTS).rglob("*.py"):
        os.utime(path, (later, later))
    assert planned_jobs(tiny_copy) == {}


def test_editing_an_entry_script_reruns_its_rule(tiny_copy):
    append_comment(tiny_copy / SCRIPTS / "summarize.py")
    jobs = planned_jobs(tiny_copy)
    # compare_overall reads its table, and the robust figures read compare_overall's.
    assert set(jobs) - {"all"} == {"summarize", "compare_overall", "plot_improvement", "plot_profile"}, jobs


def read_run(directory, dataset, activation, seed):
    run = directory / "results" / "runs" / dataset / activation / f"seed{seed}"
    return (run / "history.csv").read_bytes(), json.loads((run / "metrics.json").read_text())


@pytest.mark.slow
def test_results_are_bit_identical_across_processes_and_thread_counts(tiny_run, tmp_path):
    """A second run, each job in its own process (no warm worker) and with 2
    TensorFlow threads instead of 1, gives byte-identical run files and
    merged tables."""
    config = copy.deepcopy(TINY_CONFIG)
    config["training"]["threads"] = 2
    other = copy_workflow(tmp_path / "threads2", config)
    snakemake(other, "--cores", "2", env={"ACTZOO_WORKER": "0"})
    for log in (tiny_run / "logs" / "train").rglob("*.log"):
        assert "in warm worker process" in log.read_text(), log
    for log in (other / "logs" / "train").rglob("*.log"):
        assert "ACTZOO_WORKER=0: running actzoo.runs:train_and_save in the job's own process" in log.read_text()
    runs = sorted(p.relative_to(tiny_run) for p in (tiny_run / "results" / "runs").glob("*/*/seed*"))
    assert len(runs) == 8
    for run in runs:
        for table in ("history.csv", "diagnostics.csv"):
            assert (tiny_run / run / table).read_bytes() == (other / run / table).read_bytes(), (run, table)
        # .npz and .keras files are zip archives stamped with the time of
        # writing: compare their arrays (and the weights by their hash below).
        with np.load(tiny_run / run / "boundary.npz") as grids_1, np.load(other / run / "boundary.npz") as grids_2:
            assert grids_1.files == grids_2.files
            for key in grids_1.files:
                assert np.array_equal(grids_1[key], grids_2[key]), (run, key)
        metrics_1 = json.loads((tiny_run / run / "metrics.json").read_text())
        metrics_2 = json.loads((other / run / "metrics.json").read_text())
        # train_seconds is wall-clock time; everything else is a pure function of the inputs.
        assert metrics_1.pop("train_seconds") > 0 and metrics_2.pop("train_seconds") > 0
        assert metrics_1 == metrics_2, run
    for table in ("histories.csv", "diagnostics.csv"):
        assert (tiny_run / "results" / table).read_bytes() == (other / "results" / table).read_bytes(), table
    runs_1 = pd.read_csv(tiny_run / "results" / "runs.csv").drop(columns="train_seconds")
    runs_2 = pd.read_csv(other / "results" / "runs.csv").drop(columns="train_seconds")
    pd.testing.assert_frame_equal(runs_1, runs_2)


def test_metrics_record_provenance(tiny_run):
    _, metrics = read_run(tiny_run, "circles", "tanh", 1)
    assert {"python", "keras", "numpy", "scikit-learn"} <= set(metrics["versions"])
    assert "tensorflow-cpu" in metrics["versions"] or "tensorflow" in metrics["versions"]
    assert metrics["hyperparameters"]["training"]["epochs"] == 6
    assert metrics["hyperparameters"]["model"]["hidden_units"] == [4]
    assert len(metrics["code_sha256"]) == 64


@pytest.mark.slow
def test_between_workflow_cache(tmp_path):
    """Two directories share one cache: the second gets every training job from
    it, each (activation, seed) has its own entry, and other epochs miss it."""
    config = copy.deepcopy(TINY_CONFIG)
    config["datasets"] = {"circles": config["datasets"]["circles"]}
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {"SNAKEMAKE_OUTPUT_CACHE": str(cache)}
    first = copy_workflow(tmp_path / "first", config)
    second = copy_workflow(tmp_path / "second", config)
    snakemake(first, "--cache", env=env)
    entries = {p.name[:64] for p in cache.iterdir()}
    assert len(entries) == 4, "2 activations x 2 seeds, each its own cache entry"

    result = snakemake(second, "--cache", env=env)
    output = result.stdout + result.stderr
    # Snakemake logs "Moving ... to cache" when it stores a job's outputs and
    # "Symlinking ... from cache" both after storing and when it retrieves.
    assert "to cache" not in output, "the second directory trained nothing"
    assert output.count("from cache") == 4 * 5, "4 runs x 5 output files, all from the cache"
    hashes = set()
    for activation in ("tanh", "relu"):
        for seed in (1, 2):
            history_1, metrics_1 = read_run(first, "circles", activation, seed)
            history_2, metrics_2 = read_run(second, "circles", activation, seed)
            assert history_1 == history_2
            assert (metrics_2["activation"], metrics_2["seed"]) == (activation, seed)
            hashes.add(metrics_2["final_weights_sha256"])
    assert len(hashes) == 4, "every cached run is a different model"

    config["training"]["epochs"] = 5
    write_config(second, config)
    # The target goes first: --cache takes an optional list of rule names.
    result = snakemake(second, "results/runs/circles/tanh/seed1/metrics.json", "--cache", env=env)
    output = result.stdout + result.stderr
    assert "Moving output file results/runs/circles/tanh/seed1/history.csv to cache" in output, "trained anew"
    assert len({p.name[:64] for p in cache.iterdir()}) == 5
    _, metrics = read_run(second, "circles", "tanh", 1)
    assert metrics["epochs"] == 5


def test_checkpoint_every_retrains_nothing_but_reaches_the_training_job(tiny_copy):
    """Like threads: how often a job saves its checkpoint changes no result,
    so changing it plans no job; a job that does run is given the new value."""
    config = yaml.safe_load((tiny_copy / "config.yaml").read_text())
    config["training"]["checkpoint_every"] = 3
    write_config(tiny_copy, config)
    assert planned_jobs(tiny_copy) == {}
    run = tiny_copy / "results/runs/circles/tanh/seed1"
    history = (run / "history.csv").read_bytes()
    snakemake(tiny_copy, "--force", str(run.relative_to(tiny_copy) / "metrics.json"))
    assert json.loads((run / "metrics.json").read_text())["hyperparameters"]["training"]["checkpoint_every"] == 3
    assert (run / "history.csv").read_bytes() == history
