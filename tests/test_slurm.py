"""The tiny pipeline on a real single-node SLURM cluster (started by .ci/run
via .ci/slurm-up.sh), through snakemake-executor-plugin-slurm."""

import copy
import itertools
import json
import shutil

import pytest
import yaml

from conftest import REPO, TINY_CONFIG, copy_workflow
from slurm_cluster import (
    enforces_memory,
    req_mem_mb,
    require_cluster,
    run_snakemake_slurm,
    sacct_jobs,
    sacct_steps,
    timelimit_minutes,
)

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


@pytest.fixture(autouse=True)
def cluster():
    require_cluster()


def profile_resource(rule, name, attempt=1):
    """A rule's resource in profiles/slurm, evaluated as snakemake does for ``attempt``."""
    value = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())["set-resources"][rule][name]
    # The profile's own expression, evaluated as snakemake evaluates it.
    return eval(value, {}, {"attempt": attempt}) if isinstance(value, str) else value  # noqa: S307


def test_tiny_pipeline_through_the_slurm_profile_matches_a_local_run(tiny_run, tmp_path):
    """profiles/slurm as a user would use it, with only the placeholders filled
    in for this cluster. The 8 trainings go into one pack, which runs them one
    after the other (one srun step each), so it asks for one training's CPU
    and memory and for the sum of their runtimes."""
    directory = copy_workflow(tmp_path / "slurm")
    shutil.copytree(REPO / "profiles" / "slurm", directory / "profiles" / "slurm")
    run_snakemake_slurm(
        directory,
        "--profile",
        "profiles/slurm",
        timeout=900,
        default_resources=("mem_mb=1000", "runtime=30"),
    )
    runs = sorted((tiny_run / "results" / "runs").glob("*/*/seed*"))
    assert len(runs) == 8
    for run in runs:
        relative = run.relative_to(tiny_run)
        assert (directory / relative / "history.csv").read_bytes() == (run / "history.csv").read_bytes(), relative
    assert (directory / "results" / "summary.csv").exists()
    jobs = sacct_jobs(directory)
    assert not any("plot" in job["Comment"] or "summarize" in job["Comment"] for job in jobs), "local rules"
    trainings = [job for job in jobs if "train" in job["Comment"]]
    assert len(trainings) == 1, f"the 8 trainings are packed into one submission: {trainings}"
    (pack,) = trainings
    assert pack["Comment"].startswith("rule_train_pack"), pack
    assert pack["State"] == "COMPLETED", pack
    assert pack["AllocCPUS"] == "1", f"a pack runs one training at a time, so it asks for one CPU: {pack}"
    assert req_mem_mb(pack) == profile_resource("train", "mem_mb"), f"one training's memory, not a sum: {pack}"
    assert timelimit_minutes(pack) == len(runs) * profile_resource("train", "runtime"), pack
    steps = sacct_steps(pack["JobID"])
    assert len(steps) == len(runs), f"one srun step per training: {steps}"
    assert all(step["State"] == "COMPLETED" for step in steps), steps
    for before, after in itertools.pairwise(steps):
        assert after["Start"] >= before["End"], f"steps of a pack run one after the other: {before} {after}"
    # Each step's snakemake runs one training: a warm worker would serve no other.
    for log in (directory / "logs" / "train").rglob("*.log"):
        assert "runs only this job: running actzoo.runs:train_and_save in the job's own process" in log.read_text(), log


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
