"""Other processes, through psutil: who they are, whether they live, which
one is the snakemake run. The one place actzoo inspects processes; nothing
here parses /proc by hand.

A pid alone can name a later process once the first has ended, so a process
is recorded as (pid, ``started(pid)``): no later process has both.
"""

import os
import time

import psutil


def command_line(pid):
    """The argv of process ``pid``; [] if it is gone or hidden from us."""
    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []


def started(pid):
    """When process ``pid`` started, in seconds since boot (the kernel's
    resolution, 10 ms); None if it is gone. Since boot, not since the epoch:
    psutil's epoch time adds the boot time, which moves when the clock is set,
    and a record must compare equal in every process that reads it."""
    try:
        return round(psutil.Process(pid).create_time() - psutil.boot_time(), 3)
    except psutil.Error:
        return None


def seconds_running(pid=None):
    """How long process ``pid`` (this one by default) has run; None if gone.
    Both ends on the clock the kernel stamps processes with (CLOCK_BOOTTIME)."""
    start = started(os.getpid() if pid is None else pid)
    return None if start is None else time.clock_gettime(time.CLOCK_BOOTTIME) - start


def is_alive(pid):
    """Whether process ``pid`` lives: a zombie (ended, not yet reaped) or a
    dying one does not."""
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:  # ZombieProcess is one too
        return False
    except psutil.AccessDenied:
        return True  # another user's, alive


# -- snakemake's processes ----------------------------------------------------------


def is_snakemake_command(argv):
    """Whether a command line runs the snakemake program itself, not one of
    its jobs' scripts or a shell around one."""
    return any(arg.endswith("/snakemake") or arg == "snakemake" for arg in argv[:3]) or argv[1:3] == [
        "-m",
        "snakemake",
    ]


def runs_one_job(argv):
    """Whether a snakemake command line runs a single job: what executor
    plugins start for each job they submit (``--target-jobs`` with one job,
    e.g. each training's own ``srun`` step inside a SLURM pack). Reads the
    option as argparse does: ``--target-jobs A B``, ``--target-jobs=A``, or an
    abbreviation such as ``--target-job A``."""
    jobs = 0
    for index, arg in enumerate(argv):
        option, equals, _ = arg.partition("=")
        if len(option) <= len("--target-") or not "--target-jobs".startswith(option):
            continue
        if equals:
            jobs += 1
        else:
            following = argv[index + 1 :]
            jobs += next((i for i, other in enumerate(following) if other.startswith("-")), len(following))
    return jobs == 1


def snakemake_ancestor():
    """The snakemake run this process belongs to: its nearest ancestor whose
    command line is snakemake's (a local run, or the snakemake inside a SLURM
    job), else its parent."""
    try:
        ancestors = psutil.Process().parents()
    except psutil.Error:
        ancestors = []
    for ancestor in ancestors:
        try:
            if is_snakemake_command(ancestor.cmdline()):
                return ancestor.pid
        except psutil.Error:
            break  # it ended: what was above it is no longer our ancestry
    return os.getppid()


def is_live_snakemake(pid):
    """Whether ``pid`` is a live process whose command line names snakemake
    anywhere (however it was started). Another user's process, whose command
    line we may not read, counts by its pid alone."""
    try:
        return "snakemake" in "\0".join(psutil.Process(pid).cmdline())
    except psutil.NoSuchProcess:  # zombies included
        return False
    except psutil.AccessDenied:
        return True
