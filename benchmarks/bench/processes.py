"""Peak memory of a Snakemake run's processes, polled in a thread with psutil, and
what it says per training job.

psutil reads the process tree, command lines, start times and PSS. The one thing
it does not expose is the kernel's high-water mark of a process's RSS (VmHWM),
which catches a peak between two polls; ``peak_rss`` reads that line itself.
"""

import math
import os
import re
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

# Command lines the poller looks for. Snakemake runs a rule's script as a copy
# named .snakemake/scripts/tmp<random>.train.py: a training job's own process,
# which with a worker only hands the training to the worker's forked child.
TRAIN_JOB_PROCESS = r"\.train\.py"
SNAKEMAKE_PROCESS = r"-m snakemake"
# A warm worker (actzoo.worker.SERVE) and its forked children, which keep its command line.
WORKER_PROCESS = "from actzoo.worker import serve"
WORKER_OWNER = re.compile(r"--owner=(\d+)")
# A training job's log: the stderr of its process and of the worker's child running it.
TRAIN_LOG = "/logs/train/"

GONE = (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied)


def peak_rss(pid):
    """The largest RSS a process has had, in bytes (VmHWM of /proc/<pid>/status); None if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None  # gone, or a zombie (no memory left)


def stderr_target(pid):
    """Where a process's stderr (file descriptor 2) points; None if it cannot be read."""
    try:
        return os.readlink(f"/proc/{pid}/fd/2")
    except OSError:
        return None


@dataclass
class ProcessPeak:
    """What the poller saw of one process (bytes)."""

    command: str
    kind: str = "other"  # "job" (a train.py process), "worker", "child" (a worker's fork) or "other"
    log: str | None = None  # a training log its stderr pointed to
    rss: int = 0  # peak RSS: the largest VmHWM read
    pss: int | None = None  # the largest PSS read (job, worker and child only): a lower bound of the peak
    shared: int | None = None  # RSS - PSS at the PSS reading with the largest RSS
    pss_rss: int = 0  # RSS at that reading
    pss_read_at: float = -math.inf  # time.monotonic() of the last PSS reading
    pss_reads: int = 0
    samples: int = 0
    started: float | None = None  # psutil's create_time(), seconds since the epoch (10 ms resolution)


def command_line(process):
    """A process's command line as one string; None if it is gone (or a zombie)."""
    try:
        return " ".join(process.cmdline()) or None
    except GONE:
        return None


class TreePoller:
    """Peak memory of a snakemake run's processes, polled in a thread.

    The processes are the tree under ``pid`` and the actzoo workers of the run
    with their forked children. A worker is started by a training job's process
    in a session of its own and outlives that job; once the job exits, the
    worker is no longer in the tree. It is recognised while it is (its command
    line holds WORKER_PROCESS and ``--owner=`` a process of the tree; the job
    that starts it waits seconds for it to import TensorFlow) and remembered
    until it exits.

    Every ``interval``: peak RSS of every process (VmHWM, cheap and exact up to
    the last poll). For jobs, workers and children also PSS
    (``memory_full_info``, which walks the page tables: milliseconds), read
    when a process is new, when its RSS has grown by ``PSS_GROWTH`` since the
    last reading (at most every ``pss_interval``), and at least every
    ``PSS_REFRESH`` seconds (unless ``read_pss`` is false). ``cpu_seconds`` is
    what the polling thread itself used.
    """

    PSS_GROWTH = 1.02
    PSS_REFRESH = 2.0

    def __init__(self, pid, interval=0.05, pss_interval=0.25, read_pss=True):
        self.root = pid
        self.interval = interval
        self.pss_interval = pss_interval
        self.read_pss = read_pss
        self.processes = {}  # pid -> ProcessPeak
        self.workers = {}  # pid -> psutil.Process (it remembers the start time, so a reused pid is not mistaken)
        self.error = None  # the first unexpected error of a polling round
        self.cpu_seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            cpu = time.thread_time()
            try:
                self.sample()
            except Exception as error:  # noqa: BLE001 -- keep polling; reported in the info
                self.error = self.error or repr(error)
            self.cpu_seconds += time.thread_time() - cpu
            self._stop.wait(self.interval)

    def tree(self):
        """``{pid: psutil.Process}`` of the run's tree; empty once it has ended."""
        try:
            root = psutil.Process(self.root)
            return {process.pid: process for process in (root, *root.children(recursive=True))}
        except GONE:
            return {}

    def sample(self):
        """One polling round."""
        tree = self.tree()
        # Read afresh each round: after fork and before exec, a process shows its parent's.
        commands = {pid: command_line(process) for pid, process in tree.items()}
        for pid, process in tree.items():
            if self.is_worker(process, commands, tree):
                self.workers[pid] = process
        self.workers = {pid: worker for pid, worker in self.workers.items() if worker.is_running()}
        sampled = dict(tree)
        for worker in self.workers.values():
            try:
                sampled.update((child.pid, child) for child in worker.children(recursive=True))
            except GONE:
                pass
        for pid, process in sampled.items():
            command = commands[pid] if pid in commands else command_line(process)
            if command is not None:
                self.observe(process, command)

    def is_worker(self, process, commands, tree):
        """A warm worker started by this run (not its forked child, which keeps its command line)."""
        command = commands.get(process.pid) or ""
        owner = WORKER_OWNER.search(command)
        if WORKER_PROCESS not in command or not owner or int(owner[1]) not in tree:
            return False
        try:
            parent_command = commands.get(process.ppid()) or ""
        except GONE:
            return False
        return WORKER_PROCESS not in parent_command

    def kind_of(self, process, command):
        if process.pid in self.workers:
            return "worker"
        try:
            if process.ppid() in self.workers:
                return "child"
        except GONE:
            pass
        return "job" if re.search(TRAIN_JOB_PROCESS, command) else "other"

    def observe(self, process, command):
        kind = self.kind_of(process, command)
        try:
            rss = process.memory_info().rss
        except GONE:
            return
        peak = peak_rss(process.pid)
        if peak is None:
            return
        self.record(process, command, kind, rss, peak, stderr_target(process.pid) if kind in ("job", "child") else None)

    def record(self, process, command, kind, rss, peak, stderr=None):
        entry = self.processes.get(process.pid)
        if entry is None:
            entry = self.processes[process.pid] = ProcessPeak(command, started=start_time(process))
        entry.command = command
        if kind != "other":
            entry.kind = kind
        if stderr and TRAIN_LOG in stderr:
            entry.log = stderr
        entry.samples += 1
        entry.rss = max(entry.rss, peak, rss)
        if entry.kind != "other" and self.read_pss:
            self.maybe_read_pss(process, entry, rss)

    def maybe_read_pss(self, process, entry, rss):
        """PSS, sparingly: it costs milliseconds for a process that imported TensorFlow."""
        now = time.monotonic()
        since = now - entry.pss_read_at
        grown = rss > entry.pss_rss * self.PSS_GROWTH
        if not ((grown and since >= self.pss_interval) or since >= self.PSS_REFRESH):
            return
        entry.pss_read_at = now
        try:
            memory = process.memory_full_info()
        except GONE:
            return
        entry.pss_reads += 1
        entry.pss = max(entry.pss or 0, memory.pss)
        if memory.rss >= entry.pss_rss:
            entry.pss_rss, entry.shared = memory.rss, memory.rss - memory.pss

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def peak(self, pattern):
        """Largest peak RSS (bytes) among processes whose command line matches ``pattern``; None if none was seen."""
        found = [entry.rss for entry in self.processes.values() if re.search(pattern, entry.command)]
        return max(found) if found else None


def start_time(process):
    try:
        return process.create_time()
    except GONE:
        return None


def handover_seconds(processes):
    """``{training log: seconds}`` from the start of a job's process to the fork of the worker's
    child that ran it (psutil's create_time, 10 ms resolution), for every job whose
    process and child the poller saw."""
    started = {}
    for entry in processes.values():
        if entry.kind in ("job", "child") and entry.log and TRAIN_LOG in entry.log and entry.started is not None:
            started.setdefault(entry.log, {})[entry.kind] = entry.started
    return {log: times["child"] - times["job"] for log, times in started.items() if times.keys() == {"job", "child"}}


def _largest(values):
    values = [value for value in values if value is not None]
    return max(values) if values else None


def _job_total(entries, attribute):
    """A job's process plus its child (the largest of each, should a retry have run it twice)."""
    by_kind = {}
    for entry in entries:
        value = getattr(entry, attribute)
        if value is None:
            return None
        by_kind[entry.kind] = max(by_kind.get(entry.kind, 0), value)
    return sum(by_kind.values())


def job_memory(processes):
    """Peak memory of the training jobs a poller saw (``processes``: pid -> ProcessPeak), in bytes.

    A job is its train.py process plus, with a worker, the worker's child that
    trained it; they are matched by the training log both have as stderr.
    Returns a dict: ``worker_jobs`` and ``in_process_jobs`` (how many of each
    were seen); ``job_rss``/``job_pss``: the largest sum of peaks of a job's
    process and its child; ``in_process_rss``/``in_process_pss``: the same for
    jobs without a child; ``child_shared``: the median over training children
    of RSS - PSS at their peak RSS; ``job_process_rss``: the largest train.py
    process of a worker job; ``worker_rss``/``worker_pss``: the largest worker.
    A value is None where nothing was seen to compute it from.
    """
    jobs = {}
    for entry in processes.values():
        if entry.kind in ("job", "child") and entry.log and TRAIN_LOG in entry.log:
            jobs.setdefault(entry.log, []).append(entry)
    worker_jobs = {log: entries for log, entries in jobs.items() if any(e.kind == "child" for e in entries)}
    in_process = [entries for log, entries in jobs.items() if log not in worker_jobs]
    workers = [entry for entry in processes.values() if entry.kind == "worker"]
    children = [entry for entries in worker_jobs.values() for entry in entries if entry.kind == "child"]
    shared = [child.shared for child in children if child.shared is not None]
    return {
        "worker_jobs": len(worker_jobs),
        "in_process_jobs": len(in_process),
        "job_rss": _largest(_job_total(entries, "rss") for entries in worker_jobs.values()),
        "job_pss": _largest(_job_total(entries, "pss") for entries in worker_jobs.values()),
        "in_process_rss": _largest(_job_total(entries, "rss") for entries in in_process),
        "in_process_pss": _largest(_job_total(entries, "pss") for entries in in_process),
        "child_shared": statistics.median(shared) if shared else None,
        "job_process_rss": _largest(e.rss for entries in worker_jobs.values() for e in entries if e.kind == "job"),
        "worker_rss": _largest(worker.rss for worker in workers),
        "worker_pss": _largest(worker.pss for worker in workers),
    }
