"""Issue 23: trainings on SLURM against the same trainings on this machine.

The sweep's trainings (no tables or figures) run three ways, each in a fresh
copy of the workflow whose data set is already made:

- locally through the warm worker, ``snakemake --cores N``: the CPU time of
  everything the run started. This process adopts the worker when the job
  that started it exits (a Linux subreaper) and reaps it, so the worker's CPU
  time and its children's reach this process's RUSAGE_CHILDREN;
- ``--profile profiles/slurm --cores N`` (the generic cluster executor): packs
  whose trainings run side by side, N at a time, in one warm worker;
- ``--profile profiles/slurm-plugin`` on fewer trainings (one pack): the
  official plugin runs a pack's trainings one at a time, each in its own
  ``srun`` step and process.

From ``sacct`` for each submission: allocated CPU-seconds (ElapsedRaw x
AllocCPUS) and used ones (TotalCPU, which counts what the job's processes
and their waited-for children used). From each pack's log: the most
trainings its snakemake ran at once.
"""

import ctypes
import os
import re
import resource
import shutil
import subprocess
import time

import psutil

from harness import REPO, copy_workflow, sacct_seconds, slurm_unavailable, snakemake_command

PR_SET_CHILD_SUBREAPER = 36
PLUGIN_TRAININGS = 8


def training_targets(config):
    """metrics.json of every training of ``config``."""
    return [
        f"results/runs/{dataset}/{activation}/seed{seed}/metrics.json"
        for dataset in config["datasets"]
        for activation in config["activations"]
        for seed in config["seeds"]
    ]


def prepared_copy(directory, config):
    """A workflow copy with ``config`` whose data sets are made (local rules in every run)."""
    copy_workflow(directory, config)
    datasets = [f"results/datasets/{name}.npz" for name in config["datasets"]]
    subprocess.run(snakemake_command("--cores", "1", *datasets), cwd=directory, check=True, capture_output=True)
    return directory


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def children():
    return {child.pid for child in psutil.Process().children()}


def local_cpu_seconds(directory, targets, cores):
    """(CPU seconds, wall seconds) of ``snakemake --cores`` building ``targets``, worker included."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "cannot become a subreaper: the worker's CPU time would be lost")
    before_children, before, start = children(), children_cpu_seconds(), time.perf_counter()
    subprocess.run(snakemake_command("--cores", str(cores), *targets), cwd=directory, check=True, capture_output=True)
    wall = time.perf_counter() - start
    for adopted in children() - before_children:  # the run's worker: it leaves once its snakemake has ended
        os.waitpid(adopted, 0)
    return children_cpu_seconds() - before, wall


def run_profile(directory, profile, targets, *args):
    """``snakemake <targets> --profile profiles/<profile> <args>`` in ``directory``; its wall seconds.
    The targets go first: an option such as --default-resources takes every value after it."""
    shutil.copytree(REPO / "profiles" / profile, directory / "profiles" / profile)
    options = ("--profile", f"profiles/{profile}", "--seconds-between-status-checks", "2", *args)
    command = snakemake_command(*targets, *options)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"snakemake {' '.join(options)} failed in {directory}:\n{result.stderr[-4000:]}")
    return time.perf_counter() - start


def submissions(directory):
    """{job id: {comment, cpus, elapsed_s, total_cpu_s, state}} of the SLURM jobs run in ``directory``."""
    fields = ("JobID", "Comment", "AllocCPUS", "ElapsedRaw", "TotalCPU", "State", "WorkDir")
    for _ in range(30):  # accounting records a job's end a moment after the job has ended
        output = subprocess.run(
            # Not -X: there TotalCPU is 0; the job's own line (no step suffix) sums its steps.
            ["sacct", "-n", "-P", "-S", "now-3hours", "-o", ",".join(fields)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rows = [dict(zip(fields, line.split("|"))) for line in output.splitlines() if line]
        rows = [row for row in rows if "." not in row["JobID"] and row["WorkDir"] == str(directory.resolve())]
        # TotalCPU is filled in a moment after the state.
        if rows and all(row["State"] == "COMPLETED" and sacct_seconds(row["TotalCPU"]) > 0 for row in rows):
            break
        time.sleep(1)
    return {
        row["JobID"]: {
            "comment": row["Comment"],
            "cpus": int(row["AllocCPUS"]),
            "elapsed_s": int(row["ElapsedRaw"]),
            "total_cpu_s": sacct_seconds(row["TotalCPU"]),
            "state": row["State"],
        }
        for row in rows
    }


def trainings_at_once(pack_log):
    """The most trainings a pack's snakemake ran at the same time, from its log."""
    running = most = 0
    for line in pack_log.splitlines():
        if line.strip() in ("localrule train:", "rule train:"):
            running += 1
            most = max(most, running)
        elif re.match(r"Finished jobid: \d+ \(Rule: train\)", line.strip()):
            running -= 1
    return most


def allocation(jobs):
    """(allocated CPU-seconds, used CPU-seconds) over ``jobs`` (from ``submissions``)."""
    allocated = sum(job["elapsed_s"] * job["cpus"] for job in jobs)
    return allocated, sum(job["total_cpu_s"] for job in jobs)


CLUSTER_TARGETS = ("cluster_over_local_cpu_per_training", "cluster_cpu_efficiency", "cluster_at_once_over_cpus")


def measure_cluster(measured, config, workdir, cores, log):
    """Results ``cluster_*``, ``local_warm_*`` and ``plugin_*``; the reason under not_measured when
    there is no cluster or a run failed."""
    reason = slurm_unavailable()
    if reason is None:
        try:
            measure_generic(measured, config, workdir, cores, log)
            measure_plugin(measured, config, workdir, log)
        except (RuntimeError, OSError, subprocess.CalledProcessError, ValueError) as error:
            reason = f"the cluster sweep failed: {error}"[:2000]
    if reason:
        for name in (*CLUSTER_TARGETS, "plugin_cpu_s_per_training"):
            if name not in measured.results:
                measured.record(name, None, reason)


def measure_generic(measured, config, workdir, cores, log):
    targets = training_targets(config)
    n = len(targets)
    log(f"cluster: {n} trainings locally with the warm worker, --cores {cores} ...")
    local_cpu, local_wall = local_cpu_seconds(prepared_copy(workdir / "cluster_local", config), targets, cores)
    measured.results["local_warm_cpu_s_per_training"] = local_cpu / n
    measured.results["local_warm_wall_s"] = local_wall

    log(f"cluster: {n} trainings through profiles/slurm --cores {cores} ...")
    directory = prepared_copy(workdir / "cluster_generic", config)
    wall = run_profile(directory, "slurm", targets, "--cores", str(cores))
    jobs = submissions(directory)
    packs = {job_id: job for job_id, job in jobs.items() if job["comment"].startswith("rule_train_pack")}
    if not packs:
        raise RuntimeError(f"no pack among the submissions of {directory}: {jobs}")
    allocated, used = allocation(packs.values())
    cpus = max(job["cpus"] for job in packs.values())
    at_once = max(trainings_at_once((directory / "logs" / "slurm" / f"{job_id}.log").read_text()) for job_id in packs)
    measured.results.update(
        cluster_trainings=n,
        cluster_packs=len(packs),
        cluster_wall_s=wall,
        cluster_cpus_per_pack=cpus,
        cluster_cpu_s_per_training=allocated / n,
        cluster_over_local_cpu_per_training=allocated / local_cpu,
        cluster_cpu_efficiency=used / allocated,
        cluster_trainings_at_once=at_once,
        cluster_at_once_over_cpus=at_once / cpus,
    )
    measured.info["cluster_submissions"] = jobs


def measure_plugin(measured, config, workdir, log):
    """The official plugin on one pack of up to PLUGIN_TRAININGS of the trainings."""
    seeds = config["seeds"][: max(1, PLUGIN_TRAININGS // len(config["activations"]))]
    plugin_config = {**config, "seeds": seeds}
    targets = training_targets(plugin_config)
    log(f"cluster: {len(targets)} trainings through profiles/slurm-plugin ...")
    directory = prepared_copy(workdir / "cluster_plugin", plugin_config)
    resources = (f"slurm_partition={partition()}", "mem_mb=1000", "runtime=30")
    run_profile(directory, "slurm-plugin", targets, "--default-resources", *resources)
    jobs = submissions(directory)
    allocated, used = allocation(jobs.values())
    measured.results["plugin_trainings"] = len(targets)
    measured.results["plugin_cpu_s_per_training"] = allocated / len(targets)
    measured.results["plugin_cpu_efficiency"] = used / allocated
    measured.info["plugin_submissions"] = jobs


def partition():
    """The cluster's default partition (the plugin's profile asks for one by name)."""
    output = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True, check=True).stdout
    defaults = [name.rstrip("*") for name in output.split() if name.endswith("*")]
    return defaults[0] if defaults else output.split()[0]
