"""The tiny pipeline on a real single-node SLURM cluster (started by .ci/run
via .ci/slurm-up.sh), through snakemake-executor-plugin-slurm."""

import copy
import json
import shutil

import pytest

from conftest import REPO, TINY_CONFIG, copy_workflow
from slurm_cluster import enforces_memory, req_mem_mb, require_cluster, run_snakemake_slurm, sacct_jobs

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


@pytest.fixture(autouse=True)
def cluster():
    require_cluster()


def test_tiny_pipeline_through_the_slurm_profile_matches_a_local_run(tiny_run, tmp_path):
    """profiles/slurm as a user would use it, with the placeholders filled in
    for this cluster and the group packing sized for its 2 CPUs."""
    directory = copy_workflow(tmp_path / "slurm")
    shutil.copytree(REPO / "profiles" / "slurm", directory / "profiles" / "slurm")
    run_snakemake_slurm(
        directory,
        "--profile",
        "profiles/slurm",
        "--cores",
        "2",
        timeout=900,
        default_resources=("mem_mb=1000", "runtime=30"),
    )
    for run in sorted((tiny_run / "results" / "runs").glob("*/*/seed*")):
        relative = run.relative_to(tiny_run)
        assert (directory / relative / "history.csv").read_bytes() == (run / "history.csv").read_bytes(), relative
    assert (directory / "results" / "summary.csv").exists()
    jobs = sacct_jobs(directory)
    trainings = [job for job in jobs if "train" in job["Comment"]]
    assert trainings, jobs
    assert len(trainings) < 8, "the 8 trainings are packed into fewer submissions"
    assert not any("plot" in job["Comment"] or "summarize" in job["Comment"] for job in jobs), "local rules"


def retried_training(directory, target, resources, timeout):
    """Build ``target`` on SLURM with one retry and ``--set-resources resources``;
    returns the sacct records of its training submissions, oldest first."""
    run_snakemake_slurm(directory, target, "--retries", "1", "--set-resources", resources, timeout=timeout)
    return [job for job in sacct_jobs(directory) if job["Comment"].startswith("rule_train")]


def test_failed_training_is_retried_with_more_memory(tmp_path):
    """Attempt 1 asks for less memory than TensorFlow needs (~0.9 GB with the
    job's own snakemake): SLURM kills it, and attempt 2 gets twice as much."""
    if not enforces_memory():
        pytest.skip("this SLURM cluster does not enforce --mem (no OverMemoryKill); .ci/slurm-up.sh enforces it")
    config = copy.deepcopy(TINY_CONFIG)
    config["datasets"] = {"circles": config["datasets"]["circles"]}
    config["activations"], config["seeds"] = ["tanh"], [1]
    directory = copy_workflow(tmp_path / "retry", config)
    trainings = retried_training(
        directory, "results/runs/circles/tanh/seed1/metrics.json", "train:mem_mb=600*attempt", timeout=600
    )
    assert len(trainings) == 2, trainings
    first, second = trainings
    assert first["State"].split()[0] in ("FAILED", "OUT_OF_MEMORY"), first
    assert (req_mem_mb(first), req_mem_mb(second)) == (600, 1200)
    assert second["State"] == "COMPLETED"
    assert (directory / "results" / "runs" / "circles" / "tanh" / "seed1" / "history.csv").exists()


def test_training_killed_at_its_time_limit_resumes_from_its_checkpoint_on_retry(tmp_path):
    """Attempt 1 gets a 1-minute time limit for ~2.5 minutes of training: SLURM
    kills it (TIMEOUT), --retries resubmits it with 31 minutes, and the new job
    carries on from its last checkpoint instead of epoch 1."""
    config = copy.deepcopy(TINY_CONFIG)
    config["datasets"] = {"circles": {"generator": "circles", "n_samples": 2000}}
    config["activations"], config["seeds"] = ["relu"], [1]
    config["training"] = {"epochs": 20000, "batch_size": 16, "checkpoint_every": 200, "snapshot_epochs": [1]}
    directory = copy_workflow(tmp_path / "timeout", config)
    run = directory / "results" / "runs" / "circles" / "relu" / "seed1"
    trainings = retried_training(
        directory, str(run.relative_to(directory) / "metrics.json"), "train:runtime=30*attempt-29", timeout=900
    )
    assert [job["State"].split()[0] for job in trainings] == ["TIMEOUT", "COMPLETED"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] > 0
    assert metrics["epochs"] == 20000
    assert not (run / ".ckpt").exists()
