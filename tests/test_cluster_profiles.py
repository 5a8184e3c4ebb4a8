"""The SLURM profiles' own pieces, without a cluster: profiles/slurm's status
command (sacct's state -> what the generic cluster executor expects) and its
job script (which adopts and waits for the warm worker), and what the two
profiles must agree on. tests/test_slurm.py runs both on a real cluster."""

import os
import resource
import stat
import subprocess
import sys

import pytest
import yaml

from conftest import REPO

PROFILES = REPO / "profiles"
STATUS = PROFILES / "slurm" / "status.sh"
JOBSCRIPT = PROFILES / "slurm" / "jobscript.sh"


def fake_slurm(bin_dir, sacct_state, squeue_state=""):
    """``sacct`` and ``squeue`` on a PATH of their own that print these states."""
    bin_dir.mkdir(exist_ok=True)
    for name, state in (("sacct", sacct_state), ("squeue", squeue_state)):
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\nprintf '%s' '{state}'\n" if state else "#!/bin/sh\n")
        path.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.parametrize(
    "sacct_state, squeue_state, expected",
    [
        ("COMPLETED\n", "", "success"),
        ("RUNNING\n", "", "running"),
        ("PENDING\n", "", "running"),
        ("COMPLETING\n", "", "running"),
        ("REQUEUED\n", "", "running"),
        ("", "PENDING\n", "running"),  # submitted, not yet in accounting
        ("", "", "running"),
        ("FAILED\n", "", "failed"),
        ("TIMEOUT\n", "", "failed"),
        ("OUT_OF_MEMORY\n", "", "failed"),
        ("CANCELLED by 0\n", "", "failed"),
        ("NODE_FAIL\n", "", "failed"),
        ("PREEMPTED\n", "", "failed"),
    ],
)
def test_the_status_command_maps_each_slurm_state_to_one_word(tmp_path, sacct_state, squeue_state, expected):
    env = fake_slurm(tmp_path / "bin", sacct_state, squeue_state)
    assert status(tmp_path, env) == expected


def status(workdir, env, job="123"):
    """What the status command says of ``job``, run where snakemake runs it."""
    result = subprocess.run([str(STATUS), job], capture_output=True, text=True, env=env, cwd=workdir, check=True)
    return result.stdout.removesuffix("\n")


def test_a_job_unknown_to_both_sacct_and_squeue_fails_after_the_limit_of_consecutive_polls(tmp_path):
    env = {**fake_slurm(tmp_path / "bin", ""), "ACTZOO_STATUS_UNKNOWN_LIMIT": "3"}
    assert [status(tmp_path, env) for _ in range(2)] == ["running", "running"]
    assert status(tmp_path, env, job="456") == "running"  # counted per job
    assert status(tmp_path, env) == "failed"


def test_a_known_state_resets_the_count_of_unknown_polls(tmp_path):
    unknown = {**fake_slurm(tmp_path / "unknown", ""), "ACTZOO_STATUS_UNKNOWN_LIMIT": "3"}
    pending = {**fake_slurm(tmp_path / "pending", "", "PENDING\n"), "ACTZOO_STATUS_UNKNOWN_LIMIT": "3"}
    polls = [status(tmp_path, env) for env in (unknown, unknown, pending, unknown, unknown)]
    assert polls == ["running"] * 5
    assert status(tmp_path, unknown) == "failed"


def job_script(tmp_path, exec_job):
    """profiles/slurm/jobscript.sh as Snakemake writes it for ``exec_job``."""
    path = tmp_path / "job.sh"
    path.write_text(JOBSCRIPT.read_text().format(properties='{"type": "group"}', exec_job=exec_job))
    return path


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_the_job_script_adopts_waits_for_and_counts_what_its_job_left_running(tmp_path):
    """The job's command starts a process and exits, as a training that started
    the warm worker does. The job script must outlive that orphan and reap it,
    so that its CPU time reaches whoever waits for the script (SLURM's step)."""
    done = tmp_path / "orphan-done"
    orphan = (
        f"{sys.executable} -c 'import time\n"
        "start = time.process_time()\n"
        "while time.process_time() - start < 0.5: pass\n"
        f'open("{done}", "w").close()' + "'"
    )
    script = job_script(tmp_path, f"({orphan} &) ; exit 0")
    before = children_cpu_seconds()
    subprocess.run(["sh", str(script)], check=True, timeout=120)
    assert done.exists(), "the script returned before the process its job started had ended"
    assert children_cpu_seconds() - before >= 0.5, "the orphan's CPU time was not counted"


@pytest.mark.parametrize("exec_job, status", [("exit 0", 0), ("exit 3", 3), ("kill -TERM $$", 128 + 15)])
def test_the_job_script_ends_with_its_jobs_status(tmp_path, exec_job, status):
    result = subprocess.run(["sh", str(job_script(tmp_path, exec_job))], timeout=120, check=False)
    assert result.returncode == status


def test_the_profile_scripts_are_executable_and_named_relative_to_the_profile():
    """Snakemake resolves a profile value that names a file in the profile's
    directory; the executor runs the status command directly."""
    config = yaml.safe_load((PROFILES / "slurm" / "config.yaml").read_text())
    for key in ("cluster-generic-status-cmd", "jobscript"):
        assert (PROFILES / "slurm" / config[key]).is_file(), key
    assert os.stat(STATUS).st_mode & stat.S_IXUSR


@pytest.mark.parametrize("key", ["set-threads", "groups"])
def test_both_slurm_profiles_train_one_thread_per_training_in_the_same_packs(key):
    generic, plugin = (
        yaml.safe_load((PROFILES / name / "config.yaml").read_text()) for name in ("slurm", "slurm-plugin")
    )
    assert generic[key] == plugin[key]
    assert set(generic[key]) == {"train", "tune", "train_fixed"}
