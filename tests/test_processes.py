"""actzoo.processes on real processes: what the warm workers and the
one-run-per-directory guard rely on (their own tests: test_worker.py,
test_activerun.py)."""

import os
import shlex
import subprocess
import sys

from actzoo import processes
from conftest import REPO

SCRIPTS = str(REPO / "workflow" / "scripts")


def python(code, *argv, **kwargs):
    return subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {SCRIPTS!r}); {code}", *argv],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        **kwargs,
    )


def test_a_start_time_reads_the_same_in_every_process():
    """A lock file's record is written by one process and compared by another."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        here = processes.started(child.pid)
        there = python("from actzoo import processes; print(processes.started(int(sys.argv[1])))", str(child.pid))
        assert here is not None and float(there.stdout) == here
        assert processes.started(os.getpid()) < here, "this process started before its child"
    finally:
        child.communicate(b"")
    assert processes.started(child.pid) is None, "an ended (and reaped) process has no start time"


def test_a_zombie_is_not_alive_and_a_reaped_process_is_gone():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # it ended; not reaped yet
    assert processes.command_line(child.pid) == [] and not processes.is_alive(child.pid)
    child.wait()
    assert not processes.is_alive(child.pid) and not processes.is_live_snakemake(child.pid)
    assert processes.is_alive(os.getpid())


def test_the_run_is_the_nearest_snakemake_ancestor_not_a_shell_or_the_parent(tmp_path):
    """snakemake -> /bin/sh -c -> the job: the job belongs to the snakemake."""
    job = "from actzoo import processes; print(processes.snakemake_ancestor())"
    shell = f"{sys.executable} -c {shlex.quote(f'import sys; sys.path.insert(0, {SCRIPTS!r}); {job}')}"
    # A script named snakemake, run as `python .../snakemake`: the command line of a real run.
    snakemake = tmp_path / "snakemake"
    snakemake.write_text(
        "import subprocess, sys\nsys.exit(subprocess.run(['/bin/sh', '-c', sys.argv[1]]).returncode)\n"
    )
    run = subprocess.Popen([sys.executable, str(snakemake), shell], stdout=subprocess.PIPE, text=True)
    stdout, _ = run.communicate(timeout=60)
    assert run.returncode == 0 and int(stdout) == run.pid
    # Without a snakemake above it, the job's own parent is its run.
    assert int(python(job).stdout) == os.getpid()


def test_seconds_running_of_this_process_and_none_for_a_gone_one():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert processes.seconds_running(child.pid) is None
    ran = python("from actzoo import processes; print(processes.seconds_running())")
    assert 0 < float(ran.stdout) < 60, "a process that has just started (and timed out after 60 s otherwise)"
    assert processes.seconds_running() < processes.seconds_running(1), "init started first"
