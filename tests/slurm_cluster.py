"""Helpers for tests that run snakemake on SLURM (``--profile profiles/slurm``:
the generic cluster executor; ``--executor slurm``: the official plugin)
against the local single-node SLURM cluster started by ``.ci/slurm-up.sh`` (stopped by
``.ci/slurm-down.sh``).

Typical use in a test module::

    from slurm_cluster import require_cluster, run_snakemake_slurm, sacct_jobs

    def test_on_slurm(tmp_path):
        require_cluster()                      # skip (or start it, in CI)
        result = run_snakemake_slurm(workdir, "--retries", "1")
        jobs = sacct_jobs(workdir)             # one dict per SLURM job
        assert all(job["State"] == "COMPLETED" for job in jobs if job["Comment"].startswith("rule_train"))
        steps = sacct_steps(jobs[0]["JobID"])  # one per srun: per rule job in a group

Facts this relies on (checked with slurm 22.05 / snakemake 9.27.1 /
snakemake-executor-plugin-slurm 2.8.0):

* jobs run with ``--export=ALL`` and ``-D <workdir>``: same PATH/python, same
  working directory, so tmp_path workflows just work;
* the plugin needs ``--jobs``; ``--slurm-init-seconds-before-status-checks 5``
  cuts a one-job run from ~70 s to ~30 s;
* SIGTERM makes snakemake wait for its running SLURM jobs; SIGINT cancels them
  and exits, hence ``timeout -s INT``; a SIGKILLed run leaves jobs running and
  a lock in .snakemake/ -- ``cancel_jobs`` cleans the former up;
* sacct ``Comment`` is ``rule_<rule>`` or ``rule_<rule>_wildcards_<values>``
  (``rule_<group>_<rule>`` for a group job): match with ``startswith``.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

from harness import sacct_seconds, slurm_unavailable

REPO = Path(__file__).resolve().parents[1]
UP = REPO / ".ci" / "slurm-up.sh"
DOWN = REPO / ".ci" / "slurm-down.sh"
PARTITION = os.environ.get("ACTZOO_SLURM_PARTITION", "debug")
SACCT_FIELDS = (
    "JobID",
    "JobName",
    "State",
    "ExitCode",
    "ReqMem",
    "AllocCPUS",
    "Timelimit",
    "Elapsed",
    "Comment",
    "WorkDir",
)


def _quiet(command: list[str], timeout: float = 15) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None


def cluster_ready() -> bool:
    """True when a node is usable (sinfo) and accounting answers (sacct)."""
    return slurm_unavailable(PARTITION) is None


def enforces_memory() -> bool:
    """True when the cluster kills job steps that exceed their --mem."""
    config = _quiet(["scontrol", "show", "config"])
    return config is not None and "OverMemoryKill" in config.stdout


def start_cluster(timeout: float = 300) -> None:
    """Run .ci/slurm-up.sh (needs root) as .ci/run does; raises with its output on failure."""
    result = subprocess.run(["bash", str(UP)], capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{UP} failed:\n{result.stdout}\n{result.stderr}")


def stop_cluster(timeout: float = 120) -> None:
    subprocess.run(["bash", str(DOWN)], capture_output=True, text=True, timeout=timeout)


def require_cluster() -> None:
    """Make sure the cluster is up: in CI (CI=true, root) start it if needed and
    fail loudly if that fails; elsewhere skip the calling test if it is down."""
    if cluster_ready():
        return
    import pytest

    if os.environ.get("CI") == "true" and os.geteuid() == 0:
        start_cluster()
        if not cluster_ready():
            pytest.fail("SLURM test cluster started but not ready (see /tmp/actzoo-slurm/*.log)")
        return
    pytest.skip("no local SLURM test cluster (start one as root with: bash .ci/slurm-up.sh)")


def slurm_args(
    jobs: int = 4,
    partition: str = PARTITION,
    default_resources: tuple[str, ...] = ("mem_mb=1000", "runtime=30"),
    init_seconds: int = 5,
) -> list[str]:
    """Snakemake options for the local cluster, without a profile.

    ``--default-resources`` replaces snakemake's own defaults as a whole, so
    mem_mb/runtime are repeated here; rules' own ``resources:`` still win."""
    return [
        "--executor",
        "slurm",
        "--jobs",
        str(jobs),
        "--slurm-init-seconds-before-status-checks",
        str(init_seconds),
        "--default-resources",
        f"slurm_partition={partition}",
        *default_resources,
        "--latency-wait",
        "5",
    ]


def cancel_jobs(directory: str | os.PathLike) -> None:
    """scancel every queued/running job whose working dir is ``directory``."""
    directory = str(Path(directory).resolve())
    squeue = _quiet(["squeue", "-h", "-o", "%i|%Z"])
    if squeue is None:
        return
    ids = [line.split("|", 1)[0] for line in squeue.stdout.splitlines() if line.split("|", 1)[-1] == directory]
    if ids:
        _quiet(["scancel", *ids])


def run_snakemake_slurm(
    directory: str | os.PathLike,
    *args: str,
    timeout: int = 600,
    check: bool = True,
    env: dict | None = None,
    **slurm_kwargs,
) -> subprocess.CompletedProcess:
    """``snakemake <slurm_args> <args>`` through snakemake-executor-plugin-slurm
    (see run_snakemake_cluster)."""
    return run_snakemake_cluster(directory, *slurm_args(**slurm_kwargs), *args, timeout=timeout, check=check, env=env)


def run_snakemake_cluster(
    directory: str | os.PathLike,
    *args: str,
    timeout: int = 600,
    check: bool = True,
    env: dict | None = None,
) -> subprocess.CompletedProcess:
    """``timeout -s INT -k 30 <timeout> python -m snakemake <args>`` in
    ``directory`` (the executor comes from ``args``, e.g. a profile); cancels
    leftover SLURM jobs of that directory afterwards."""
    command = ["timeout", "-s", "INT", "-k", "30", str(timeout), sys.executable, "-m", "snakemake", *args]
    try:
        result = subprocess.run(
            command,
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=timeout + 60,
            env={**os.environ, **(env or {})},
        )
    finally:
        cancel_jobs(directory)
    if check and result.returncode != 0:
        reason = " (timed out)" if result.returncode in (124, 137) else ""
        raise AssertionError(f"{' '.join(command)} failed{reason}:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def sacct_jobs(directory: str | os.PathLike | None = None, since: str = "now-6hours") -> list[dict[str, str]]:
    """Allocations (sacct -X) since ``since``, optionally only those run in
    ``directory``; each a dict keyed by SACCT_FIELDS, oldest first."""
    result = subprocess.run(
        ["sacct", "-X", "-n", "--parsable2", "-S", since, "-o", ",".join(SACCT_FIELDS)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    jobs = [dict(zip(SACCT_FIELDS, line.split("|"))) for line in result.stdout.splitlines() if line]
    if directory is not None:
        wanted = str(Path(directory).resolve())
        jobs = [job for job in jobs if job["WorkDir"] == wanted]
    return jobs


STEP_FIELDS = ("JobID", "JobName", "State", "Start", "End", "ElapsedRaw", "TotalCPU", "MaxRSS")


def sacct_steps(job_id: str) -> list[dict[str, str]]:
    """The numbered steps of allocation ``job_id`` (one per ``srun``; not its
    ``batch`` or ``extern`` step), each a dict keyed by STEP_FIELDS, in order."""
    result = subprocess.run(
        ["sacct", "-n", "--parsable2", "-j", job_id, "-o", ",".join(STEP_FIELDS)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    steps = [dict(zip(STEP_FIELDS, line.split("|"))) for line in result.stdout.splitlines() if line]
    steps = [step for step in steps if step["JobID"].rpartition(".")[2].isdigit() and "." in step["JobID"]]
    return sorted(steps, key=lambda step: int(step["JobID"].rpartition(".")[2]))


def timelimit_minutes(job: dict[str, str]) -> int:
    """sacct Timelimit ('40:00', '01:40:00', '1-02:00:00') in minutes, rounded up."""
    return math.ceil(sacct_seconds(job["Timelimit"]) / 60)


def req_mem_mb(job: dict[str, str]) -> int:
    """sacct ReqMem ('1500M', '3G', '2000Mn', '1000Mc') in MB."""
    value = job["ReqMem"].rstrip("nc")
    factor = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}.get(value[-1:], None)
    if factor is None:
        return int(float(value) / (1024 * 1024))  # plain bytes
    return int(float(value[:-1]) * factor)
