"""The tiny pipeline on a real single-node SLURM cluster (started by .ci/run
via .ci/slurm-up.sh): through profiles/slurm (Snakemake's generic cluster
executor with sbatch and sacct, a pack's trainings side by side in one
snakemake and one warm worker) and through profiles/slurm-plugin
(snakemake-executor-plugin-slurm, a pack's trainings one at a time)."""

import copy
import itertools
import json
import math
import re
import shutil

import pytest
import yaml

from bench.cluster import trainings_at_once
from conftest import REPO, TINY_CONFIG, copy_workflow
from slurm_cluster import (
    enforces_memory,
    req_mem_mb,
    require_cluster,
    run_snakemake_cluster,
    run_snakemake_slurm,
    sacct_jobs,
    sacct_steps,
    timelimit_minutes,
)

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


@pytest.fixture(autouse=True)
def cluster():
    require_cluster()


# The node of the CI cluster has 2 CPUs: a pack there runs 2 trainings at once.
NODE_CPUS = 2


def profile_resource(rule, name, attempt=1, profile="slurm"):
    """A rule's resource in profiles/<profile>, evaluated as snakemake does for ``attempt``."""
    value = yaml.safe_load((REPO / "profiles" / profile / "config.yaml").read_text())["set-resources"][rule][name]
    # The profile's own expression, evaluated as snakemake evaluates it.
    return eval(value, {}, {"attempt": attempt}) if isinstance(value, str) else value  # noqa: S307


def run_with_profile(directory, profile, *args, timeout):
    """snakemake --profile profiles/<profile> in ``directory``, with a copy of that profile."""
    shutil.copytree(REPO / "profiles" / profile, directory / "profiles" / profile)
    return run_snakemake_cluster(
        directory, "--profile", f"profiles/{profile}", "--seconds-between-status-checks", "2", *args, timeout=timeout
    )


def the_one_pack(directory, tiny_run):
    """(the runs, the sacct record of the one pack) of a finished run of the tiny
    pipeline on SLURM in ``directory``, after checking what both profiles
    promise: histories byte-identical to the local ``tiny_run``, the cheap
    rules not submitted, and the 8 trainings in one completed pack."""
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
    return runs, pack


def test_tiny_pipeline_through_the_slurm_profile_runs_a_pack_side_by_side_and_matches_a_local_run(tiny_run, tmp_path):
    """profiles/slurm as a user would use it, on a node of 2 CPUs. The 8
    trainings go into one pack, one sbatch job with 2 CPUs: its snakemake runs
    2 trainings at a time, all through one warm worker, and the pack asks for
    2 trainings' memory and for 4 layers of their runtime."""
    directory = copy_workflow(tmp_path / "slurm")
    run_with_profile(directory, "slurm", "--cores", str(NODE_CPUS), timeout=900)
    runs, pack = the_one_pack(directory, tiny_run)
    assert pack["AllocCPUS"] == str(NODE_CPUS), pack
    assert req_mem_mb(pack) == NODE_CPUS * profile_resource("train", "mem_mb"), f"2 trainings' memory: {pack}"
    layers = math.ceil(len(runs) / NODE_CPUS)
    assert timelimit_minutes(pack) == layers * profile_resource("train", "runtime"), pack
    assert trainings_at_once((directory / "logs" / "slurm" / f"{pack['JobID']}.log").read_text()) == NODE_CPUS
    workers = set()
    for log in (directory / "logs" / "train").rglob("*.log"):
        workers.update(re.findall(r"in warm worker process \d+ \(forked by worker (\d+)\)", log.read_text()))
    assert len(workers) == 1, f"one warm worker serves the whole pack: {workers}"


def test_tiny_pipeline_through_the_slurm_plugin_profile_matches_a_local_run(tiny_run, tmp_path):
    """profiles/slurm-plugin as a user would use it, with only the placeholders
    filled in for this cluster. The 8 trainings go into one pack, which runs
    them one after the other (one srun step each), so it asks for one
    training's CPU and memory and for the sum of their runtimes."""
    directory = copy_workflow(tmp_path / "slurm")
    shutil.copytree(REPO / "profiles" / "slurm-plugin", directory / "profiles" / "slurm-plugin")
    run_snakemake_slurm(
        directory,
        "--profile",
        "profiles/slurm-plugin",
        timeout=900,
        default_resources=("mem_mb=1000", "runtime=30"),
    )
    runs, pack = the_one_pack(directory, tiny_run)
    assert pack["AllocCPUS"] == "1", f"a pack runs one training at a time, so it asks for one CPU: {pack}"
    assert req_mem_mb(pack) == profile_resource("train", "mem_mb", profile="slurm-plugin"), f"not a sum: {pack}"
    assert timelimit_minutes(pack) == len(runs) * profile_resource("train", "runtime", profile="slurm-plugin"), pack
    steps = sacct_steps(pack["JobID"])
    assert len(steps) == len(runs), f"one srun step per training: {steps}"
    assert all(step["State"] == "COMPLETED" for step in steps), steps
    for before, after in itertools.pairwise(steps):
        assert after["Start"] >= before["End"], f"steps of a pack run one after the other: {before} {after}"
    # Each step's snakemake runs one training: a warm worker would serve no other.
    for log in (directory / "logs" / "train").rglob("*.log"):
        assert "runs only this job: running actzoo.runs:train_and_save in the job's own process" in log.read_text(), log


def retried_training(directory, target, resources, timeout):
    """Build ``target`` through profiles/slurm with one retry and
    ``--set-resources resources``; returns the sacct records of its training
    submissions, oldest first."""
    run_with_profile(directory, "slurm", target, "--retries", "1", "--set-resources", resources, timeout=timeout)
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
