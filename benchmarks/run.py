#!/usr/bin/env python
"""actzoo benchmark: the lesson's notebook loop against this pipeline.

Usage (from the repository root)::

    python benchmarks/run.py [--quick] [--cores N] [--json PATH] [--workdir DIR] [--keep]

Everything runs on this machine in one invocation, so compare the ratios, not
the absolute times. Measured:

- lesson_loop_s: the lesson's way. One Python process imports TensorFlow once
  and loops over datasets x activations x seeds of the config with stock
  ``model.fit`` (``benchmarks/lesson.py``); timed end to end as a subprocess.
- pipeline_cold_s: ``snakemake --cores N`` in a fresh copy of the workflow
  (Snakefile, workflow/, envs/, profiles/default, config.yaml; no results, no .snakemake), same models.
  pipeline_over_lesson = pipeline_cold_s / lesson_loop_s.
- noop_rerun_s: median of 3 further ``snakemake --cores N`` (nothing to do); --quick runs one.
- per-run overhead of the training jobs of a cold run (``*_job_overhead_median_s``): the
  median over jobs of the job process's wall time (the ``actzoo: job process ran X s``
  line that ends each training job's log) minus ``train_seconds`` of its metrics.json.
  For the worker sweep it is split at the fork of the worker's child that runs the
  job (start times from /proc/<pid>/stat): the handover (Python's start, the
  snakemake object, handing the job over) and the rest (data, grid, outputs, answer).
- the training sweep of issue 11 (``sweep_*``): the default config's circles data set,
  4 activations x 12 seeds, 100 epochs, the default training settings otherwise,
  ``snakemake --cores N`` cold in a fresh copy, all tables and figures (rule all),
  with the warm worker switched on (ACTZOO_WORKER=1), against
- the limit proxy (``sweep_proxy_s``): N processes (``benchmarks/proxy.py``), each
  imports TensorFlow once and trains its share of the same runs with
  ``actzoo.engine.train`` and no grid, snapshots or checkpoints (one compiled
  segment per run). sweep_over_proxy = sweep_cold_s / sweep_proxy_s. The full run
  also runs the sweep with ACTZOO_WORKER=0 (``sweep_no_worker_*``) for the worker's
  speed-up measured in the same run. --quick shrinks the sweep to 2 activations x 3
  seeds x 5 epochs and skips the ACTZOO_WORKER=0 sweep.
- memory of a training job: during the sweep, a poller (every 50 ms) reads the peak
  RSS (VmHWM) of every process of the run, and PSS from /proc/<pid>/smaps_rollup
  (sparingly: it costs milliseconds) of the job processes (train.py), of the actzoo
  workers of the run (command line with ``from actzoo.worker import serve`` and
  ``--owner=<the run's snakemake>``; they leave the run's process tree when the job
  that started them exits, so they are remembered) and of the workers' forked
  children, which run the training. A job is its train.py process plus the child that
  writes to the same log (their stderr); its peak is the sum of their peaks (an upper
  bound of the peak of their sum). Peak PSS is the largest reading, a lower bound.
  The shared-memory saving is a child's RSS - PSS (median over children).
  sweep_poller_cpu_s is the CPU time the poller itself took from the timed run.
- one forced training job: ``snakemake --cores 1 --force <one run's history.csv>``
  under ``/usr/bin/time -v`` and the poller. GNU time sees snakemake and the job's own
  process, not the worker or its children: the worker leaves the tree before anyone
  waits for it. The same holds for ``pipeline_time_v_max_rss_gb``.
- ms/epoch of the compiled engine and of stock model.fit on the lesson's circles
  model, and a 100-epoch model including tracing (``benchmarks/engines.py``).
- explorer (issue 12): ``explorer_snapshot_cost_ratio``, the median training time of
  the default config's circles runs with the explorer's grids (``figures.explorer_frames``)
  over without, in one process (``benchmarks/snapshots.py``); ``explorer_mb``, the size
  of (b)'s results/explorer.html; its load time in headless Chromium from
  navigation start to the first drawn view: ``explorer_first_load_s`` in a fresh
  browser, ``explorer_load_s`` the median of 3 more loads.
- tuning (issue 20): ``tuned_cold_s``, config/tuned.yaml cold, against
  ``untuned_cold_s``, the same config without its ``tuning:`` block;
  ``tuned_over_untuned`` their ratio, and ``*_trainings`` the training jobs of each.
- dryrun_sweep_s: ``snakemake -n --cores N`` of a generated sweep (10 activations x 50
  seeds x 4 datasets = 2,000 training jobs) given with ``--configfile``.

A number that could not be measured is left out of the results, named with the
reason under ``not_measured`` in the JSON's info, and its target is judged n/a.

Output: a table on stdout and, with --json, all numbers as JSON.
"""

import argparse
import copy
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness import REPO, copy_workflow, headless_chromium, job_stats, snakemake_command

sys.path.insert(0, str(REPO / "workflow" / "scripts"))
from actzoo.config import load_config  # noqa: E402

HERE = Path(__file__).resolve().parent
TIME = "/usr/bin/time"
NOOP_RERUNS = 3

SWEEP_ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "softsign"]
SWEEP_DATASETS = {
    "circles": {"generator": "circles"},
    "sensors": {"generator": "sensors", "model": {"hidden_units": [64]}},
    "moons": {"generator": "moons"},
    "xor": {"generator": "xor"},
}

QUICK_CONFIG = {
    "seeds": [1],
    "activations": ["tanh", "relu"],
    "datasets": {"circles": {"generator": "circles", "n_samples": 200}},
    "model": {"hidden_units": [4]},
    "training": {"epochs": 5, "batch_size": 32, "checkpoint_every": 0, "snapshot_epochs": [1]},
    "figures": {"grid_resolution": 20},
}

# Issue 11's training sweep: the default config's circles data set (written out, so
# that an edit of config.yaml cannot change what is compared with the issue's
# 7.8x), activations x seeds at these epochs; the default training settings otherwise.
TRAINING_SWEEP_DATASETS = {
    "circles": {
        "generator": "circles",
        "n_samples": 1000,
        "factor": 0.2,
        "noise": 0.1,
        "validation_fraction": 0.3,
        "random_state": 0,
    }
}
TRAINING_SWEEP = {"activations": ["sigmoid", "tanh", "relu", "leaky_relu"], "seeds": 12, "epochs": 100}
QUICK_TRAINING_SWEEP = {
    "activations": ["sigmoid", "tanh"],
    "seeds": 3,  # 6 jobs: the median overhead is not one of the (up to 2) jobs that waited for the worker to start
    "epochs": 5,
    "overrides": {"figures": {"grid_resolution": 20}},
}
WORKER_SWITCH = "ACTZOO_WORKER"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# name: (limit, "le" = value must be <= limit, "ge" = value must be >= limit), from issues 4 and 11
TARGETS = {
    "ms_per_epoch_speedup": (20.0, "ge"),
    "model_100_epochs_s": (1.0, "le"),
    "pipeline_over_lesson": (0.15, "le"),  # issue 11; issue 4 asked for 0.30
    "sweep_over_proxy": (1.5, "le"),
    "sweep_job_overhead_median_s": (0.3, "le"),
    "noop_rerun_s": (3.0, "le"),
    "train_job_peak_rss_gb": (1.0, "le"),
    "train_job_peak_pss_gb": (1.0, "le"),
    "dryrun_sweep_s": (20.0, "le"),
    # issue 12
    "explorer_snapshot_cost_ratio": (1.10, "le"),
    "explorer_mb": (10.0, "le"),
}


# With --quick these depend on the tiny configs, so the issues' targets do not apply.
QUICK_NOT_COMPARABLE = {"pipeline_over_lesson", "sweep_over_proxy", "dryrun_sweep_s", "explorer_mb"}

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
# The lines a training job's log holds (actzoo.worker.call).
JOB_WALL_LINE = re.compile(r"^actzoo: job process ran ([0-9.]+) s$", re.MULTILINE)
IN_WORKER_LINE = re.compile(r"^actzoo: running \S+ in warm worker process \d+$", re.MULTILINE)


@dataclass
class Measurements:
    results: dict = field(default_factory=dict)  # name -> number, the measured values
    info: dict = field(default_factory=dict)  # what was run, on what, and the raw timings
    not_measured: dict = field(default_factory=dict)  # name -> why it has no value

    def record_peak_rss_gb(self, name, poller, pattern):
        peak = poller.peak(pattern)
        if peak is None:
            # A process that lived less than one polling interval, or a command line
            # the pattern no longer matches: report the gap rather than a wrong number.
            reason = f"no process matching {pattern!r} was seen while polling"
            log(f"warning: {name} not measured: {reason}")
            self.not_measured[name] = reason
        else:
            self.results[name] = peak / 1e9

    def record(self, name, value, reason, scale=1.0):
        """``value * scale`` as result ``name``, or ``reason`` under not_measured when value is None."""
        if value is None:
            log(f"warning: {name} not measured: {reason}")
            self.not_measured[name] = reason
        else:
            self.results[name] = value * scale


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def resolve(config):
    """The config with the schema's defaults filled in, as the workflow sees it."""
    from snakemake.utils import validate

    config = copy.deepcopy(config)
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    return config


def read_parents():
    """``{pid: parent pid}`` of every process on the machine (from /proc/<pid>/stat)."""
    parents = {}
    with os.scandir("/proc") as entries:
        for entry in entries:
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat", "rb") as stat:
                        parents[int(entry.name)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass  # gone meanwhile
    return parents


def read_command(pid):
    """A process's command line as one string; None if it is gone (or a zombie)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return argv.replace(b"\0", b" ").decode(errors="replace").strip() or None


def read_rss(pid):
    """``(current RSS, peak RSS)`` in bytes from /proc/<pid>/status (VmRSS, VmHWM: the
    kernel's high-water mark, so a peak between two polls is not missed); None if gone."""
    try:
        fields = dict(
            line.split()[:2] for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Vm")
        )
        return int(fields["VmRSS:"]) * 1024, int(fields["VmHWM:"]) * 1024
    except (OSError, ValueError, KeyError):
        return None  # gone, or a zombie (no memory left)


def read_rss_pss(pid):
    """``(RSS, PSS)`` in bytes from /proc/<pid>/smaps_rollup (Linux >= 4.14); None if gone or unreadable.

    It walks the process's page tables: ~5-20 ms for a process that imported
    TensorFlow, so the poller reads it sparingly.
    """
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        fields = dict(line.split()[:2] for line in text.splitlines() if line.startswith(("Rss:", "Pss:")))
        return int(fields["Rss:"]) * 1024, int(fields["Pss:"]) * 1024
    except (OSError, ValueError, KeyError):
        return None


def read_start(pid):
    """When a process started, in seconds since boot (clock ticks: 10 ms resolution); None if gone."""
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None
    return ticks / CLOCK_TICKS


def read_stderr(pid):
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
    shared: int | None = None  # RSS - PSS at the smaps_rollup reading with the largest RSS
    pss_rss: int = 0  # RSS at that reading
    pss_read_at: float = -math.inf  # time.monotonic() of the last smaps_rollup reading
    pss_reads: int = 0
    samples: int = 0
    started: float | None = None  # seconds since boot (read_start)


def descendants(children, pid):
    """``pid`` and every process below it, given ``{parent: [children]}``."""
    found, stack = set(), [pid]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return found


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
    the last poll). For jobs, workers and children also PSS, from smaps_rollup,
    which costs milliseconds: read when a process is new, when its RSS has grown
    by ``PSS_GROWTH`` since the last reading (at most every ``pss_interval``),
    and at least every ``PSS_REFRESH`` seconds (unless ``read_pss`` is false).
    ``cpu_seconds`` is what the polling thread itself used.
    """

    PSS_GROWTH = 1.02
    PSS_REFRESH = 2.0

    def __init__(self, pid, interval=0.05, pss_interval=0.25, read_pss=True):
        self.root = pid
        self.interval = interval
        self.pss_interval = pss_interval
        self.read_pss = read_pss
        self.processes = {}  # pid -> ProcessPeak
        self.workers = set()
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

    def sample(self):
        """One polling round."""
        parents = read_parents()
        children = {}
        for pid, parent in parents.items():
            children.setdefault(parent, []).append(pid)
        tree = descendants(children, self.root) if self.root in parents else set()
        # Read afresh each round: after fork and before exec, a process shows its parent's.
        commands = {pid: read_command(pid) for pid in tree}
        for pid in tree:
            command, parent_command = commands[pid] or "", commands.get(parents[pid]) or ""
            owner = WORKER_OWNER.search(command)
            if WORKER_PROCESS in command and WORKER_PROCESS not in parent_command and owner and int(owner[1]) in tree:
                self.workers.add(pid)
        self.workers &= parents.keys()
        sampled = set(tree)
        for worker in self.workers:
            sampled |= descendants(children, worker)
        for pid in sampled - commands.keys():
            commands[pid] = read_command(pid)
        for pid in sampled:
            command = commands[pid]
            if command is None:
                continue
            if pid in self.workers:
                kind = "worker"
            elif parents.get(pid) in self.workers:
                kind = "child"
            elif re.search(TRAIN_JOB_PROCESS, command):
                kind = "job"
            else:
                kind = "other"
            rss = read_rss(pid)
            if rss is not None:
                self.record(pid, command, kind, *rss, read_stderr(pid) if kind in ("job", "child") else None)

    def record(self, pid, command, kind, rss, peak_rss, stderr=None):
        entry = self.processes.get(pid)
        if entry is None:
            entry = self.processes[pid] = ProcessPeak(command, started=read_start(pid))
        entry.command = command
        if kind != "other":
            entry.kind = kind
        if stderr and TRAIN_LOG in stderr:
            entry.log = stderr
        entry.samples += 1
        entry.rss = max(entry.rss, peak_rss, rss)
        if entry.kind == "other" or not self.read_pss:
            return
        now = time.monotonic()
        since = now - entry.pss_read_at
        grown = rss > entry.pss_rss * self.PSS_GROWTH
        if (grown and since >= self.pss_interval) or since >= self.PSS_REFRESH:
            reading = read_rss_pss(pid)
            entry.pss_read_at = now
            if reading is not None:
                entry.pss_reads += 1
                entry.pss = max(entry.pss or 0, reading[1])
                if reading[0] >= entry.pss_rss:
                    entry.pss_rss, entry.shared = reading[0], reading[0] - reading[1]

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


def handover_seconds(processes):
    """``{training log: seconds}`` from the start of a job's process to the fork of the worker's
    child that ran it (both from /proc/<pid>/stat, 10 ms resolution), for every job whose
    process and child the poller saw."""
    started = {}
    for entry in processes.values():
        if entry.kind in ("job", "child") and entry.log and TRAIN_LOG in entry.log and entry.started is not None:
            started.setdefault(entry.log, {})[entry.kind] = entry.started
    return {log: times["child"] - times["job"] for log, times in started.items() if times.keys() == {"job", "child"}}


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
    in_process = {log: entries for log, entries in jobs.items() if log not in worker_jobs}
    workers = [entry for entry in processes.values() if entry.kind == "worker"]

    def largest(values):
        values = [value for value in values if value is not None]
        return max(values) if values else None

    def total(entries, attribute):
        """The job's process plus its child (the largest of each, should a retry have run it twice)."""
        by_kind = {}
        for entry in entries:
            value = getattr(entry, attribute)
            if value is None:
                return None
            by_kind[entry.kind] = max(by_kind.get(entry.kind, 0), value)
        return sum(by_kind.values())

    children = [entry for entries in worker_jobs.values() for entry in entries if entry.kind == "child"]
    shared = [child.shared for child in children if child.shared is not None]
    return {
        "worker_jobs": len(worker_jobs),
        "in_process_jobs": len(in_process),
        "job_rss": largest(total(entries, "rss") for entries in worker_jobs.values()),
        "job_pss": largest(total(entries, "pss") for entries in worker_jobs.values()),
        "in_process_rss": largest(total(entries, "rss") for entries in in_process.values()),
        "in_process_pss": largest(total(entries, "pss") for entries in in_process.values()),
        "child_shared": statistics.median(shared) if shared else None,
        "job_process_rss": largest(e.rss for entries in worker_jobs.values() for e in entries if e.kind == "job"),
        "worker_rss": largest(worker.rss for worker in workers),
        "worker_pss": largest(worker.pss for worker in workers),
    }


def run_timed(command, cwd, poll=False, timeout=3600, env=None):
    """Run ``command`` (with ``env`` added to the environment); returns (seconds, stdout, stderr, poller or None).

    ``poll``: False, "rss" (peak RSS of every process) or "pss" (also PSS of jobs, workers and children).
    """
    environment = {**os.environ, **(env or {})}
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    )
    poller = TreePoller(process.pid, read_pss=poll == "pss") if poll else None
    if poller:
        poller.__enter__()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if poller:
            poller.__exit__()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, command))} failed ({process.returncode}) in {cwd}:\n{stdout[-3000:]}\n{stderr[-5000:]}"
        )
    return seconds, stdout, stderr, poller


def last_json_line(stdout, script):
    """The JSON that a helper script (lesson.py, engines.py) prints as its last line."""
    lines = stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as error:
        raise RuntimeError(f"{script} did not end its output with a JSON line ({error}):\n{stdout[-3000:]}") from None


def max_rss_gb(time_v_stderr):
    """'Maximum resident set size' of GNU time -v: the largest process of the tree."""
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_v_stderr)
    if match is None:
        raise RuntimeError(f"no 'Maximum resident set size' in the output of {TIME} -v:\n{time_v_stderr[-3000:]}")
    return int(match.group(1)) * 1024 / 1e9


def check_train_jobs(counts, expected, what):
    if counts.get("train") != expected:
        raise RuntimeError(f"{what}: expected {expected} train jobs, Snakemake's job stats say {counts}")


def sweep_config(n_activations, n_seeds, datasets):
    return {
        "seeds": list(range(1, n_seeds + 1)),
        "activations": SWEEP_ACTIVATIONS[:n_activations],
        "datasets": {name: SWEEP_DATASETS[name] for name in datasets},
    }


def activation_label(activation):
    """The run directory name of an activations entry (a name, or a mapping with name and optional label)."""
    return activation if isinstance(activation, str) else activation.get("label", activation["name"])


def training_sweep_config(base_config, sweep):
    """Issue 11's sweep as a resolved config: ``base_config`` (config.yaml) with the
    sweep's data set, activations, seeds and epochs, and its ``overrides`` per section."""
    config = {key: copy.deepcopy(value) for key, value in base_config.items()}
    config["datasets"] = copy.deepcopy(TRAINING_SWEEP_DATASETS)
    config["activations"] = list(sweep["activations"])
    config["seeds"] = list(range(1, sweep["seeds"] + 1))
    config.setdefault("training", {})["epochs"] = sweep["epochs"]
    for section, values in sweep.get("overrides", {}).items():
        config.setdefault(section, {}).update(values)
    return resolve(config)


def train_job_records(directory):
    """One record per training run of a finished workflow copy, from its log and metrics.json.

    ``wall_s``: the job process's wall time (its log's last ``actzoo: job process
    ran`` line; None if it has none); ``train_seconds``; ``overhead_s``: their
    difference; ``in_worker``: whether the log says a warm worker ran it.
    """
    directory = Path(directory)
    records = []
    for metrics_path in sorted(directory.glob("results/runs/*/*/seed*/metrics.json")):
        run = metrics_path.parent
        dataset, activation, seed = run.parent.parent.name, run.parent.name, run.name
        log_path = directory / "logs" / "train" / dataset / activation / f"{seed}.log"
        if not log_path.exists():
            raise RuntimeError(f"{metrics_path} has no training log at {log_path}")
        text = log_path.read_text(errors="replace")
        walls = JOB_WALL_LINE.findall(text)
        wall = float(walls[-1]) if walls else None
        train_seconds = json.loads(metrics_path.read_text())["train_seconds"]
        records.append(
            {
                "dataset": dataset,
                "activation": activation,
                "seed": int(seed.removeprefix("seed")),
                "wall_s": wall,
                "train_seconds": train_seconds,
                "overhead_s": None if wall is None else wall - train_seconds,
                "in_worker": bool(IN_WORKER_LINE.search(text)),
            }
        )
    if not records:
        raise RuntimeError(f"no metrics.json under {directory / 'results' / 'runs'}")
    return records


def record_job_overhead(measured, prefix, directory):
    """Results ``{prefix}job_overhead_median_s`` and ``{prefix}job_wall_median_s``; returns the job records."""
    records = train_job_records(directory)
    measured.info[f"{prefix}train_jobs"] = records
    missing = [f"{r['dataset']}/{r['activation']}/seed{r['seed']}" for r in records if r["wall_s"] is None]
    reason = f"no 'actzoo: job process ran' line in the logs of {len(missing)} training jobs, e.g. {missing[:3]}"
    overheads = None if missing else statistics.median(r["overhead_s"] for r in records)
    walls = None if missing else statistics.median(r["wall_s"] for r in records)
    measured.record(f"{prefix}job_overhead_median_s", overheads, reason)
    measured.record(f"{prefix}job_wall_median_s", walls, reason)
    return records


def split_job_overhead(measured, prefix, directory, records, handovers):
    """Where a worker job's overhead goes: ``{prefix}job_handover_median_s``, from the start of
    the job's process to the fork of the worker's child (starting Python, loading the snakemake
    object, importing and hashing actzoo, handing the job over; for the first jobs also waiting
    for the worker to start), and ``{prefix}job_overhead_after_handover_median_s``, the rest of
    the overhead (the child loading the data, making the grid and writing the outputs, then the
    answer and the job's process's end). ``handovers``: handover_seconds of the run's poller."""
    before, after = [], []
    for record in records:
        log_path = directory / "logs" / "train" / record["dataset"] / record["activation"] / f"seed{record['seed']}.log"
        record["handover_s"] = handovers.get(str(log_path.resolve()))
        if record["handover_s"] is not None and record["overhead_s"] is not None:
            before.append(record["handover_s"])
            after.append(record["overhead_s"] - record["handover_s"])
    reason = "the poller saw no job process and worker child of the same job that logged its wall time"
    measured.record(f"{prefix}job_handover_median_s", statistics.median(before) if before else None, reason)
    measured.record(
        f"{prefix}job_overhead_after_handover_median_s", statistics.median(after) if after else None, reason
    )


def measure_lesson_loop(measured, config, workdir, n_models):
    """(a) The lesson's way: every model in one process with stock model.fit."""
    settings = workdir / "lesson_config.json"
    settings.write_text(json.dumps(config))
    log(f"(a) lesson loop: {n_models} models with model.fit in one process ...")
    seconds, stdout, _, _ = run_timed([sys.executable, str(HERE / "lesson.py"), str(settings)], workdir)
    lesson = last_json_line(stdout, "lesson.py")
    if lesson["models"] != n_models:
        raise RuntimeError(f"lesson.py trained {lesson['models']} models, expected {n_models}")
    measured.results["lesson_loop_s"] = seconds
    measured.results["lesson_tf_import_s"] = lesson["import_seconds"]
    measured.results["lesson_fit_median_s"] = statistics.median(fit["seconds"] for fit in lesson["fits"])
    measured.info["lesson_fits"] = lesson["fits"]


def measure_pipeline_cold(measured, config, workdir, cores, n_models):
    """(b) This pipeline from nothing, with snakemake's memory polled; returns the workflow copy."""
    if not os.access(TIME, os.X_OK):
        raise RuntimeError(f"{TIME} not found: install GNU time (apt-get install time)")
    pipeline = copy_workflow(workdir / "pipeline", config)
    log(f"(b) pipeline cold: snakemake --cores {cores} in {pipeline} ...")
    command = [TIME, "-v", *snakemake_command("--cores", str(cores))]
    seconds, stdout, stderr, poller = run_timed(command, pipeline, poll="rss", env={WORKER_SWITCH: "1"})
    counts = job_stats(stdout + stderr)
    check_train_jobs(counts, n_models, "cold pipeline run")
    measured.info["pipeline_jobs"] = counts
    measured.results["pipeline_jobs"] = counts["total"]
    measured.results["pipeline_time_v_max_rss_gb"] = max_rss_gb(stderr)
    measured.results["pipeline_cold_s"] = seconds
    measured.results["pipeline_over_lesson"] = seconds / measured.results["lesson_loop_s"]
    measured.record_peak_rss_gb("snakemake_peak_rss_gb", poller, SNAKEMAKE_PROCESS)
    record_job_overhead(measured, "pipeline_", pipeline)

    seconds_by_dataset = {}
    for path in sorted(pipeline.glob("results/runs/*/*/seed*/metrics.json")):
        record = json.loads(path.read_text())
        seconds_by_dataset.setdefault(record["dataset"], []).append(record["train_seconds"])
    first = next(iter(config["datasets"]))
    if first not in seconds_by_dataset:
        raise RuntimeError(f"no metrics.json of data set {first!r} under {pipeline / 'results' / 'runs'}")
    measured.results["pipeline_train_seconds_median"] = statistics.median(seconds_by_dataset[first])
    measured.info["pipeline_train_seconds"] = seconds_by_dataset
    return pipeline


def measure_noop_reruns(measured, pipeline, cores, repeats):
    log("no-op reruns ...")
    runs = []
    for _ in range(repeats):
        seconds, stdout, stderr, _ = run_timed(snakemake_command("--cores", str(cores)), pipeline)
        if "Nothing to be done" not in stdout + stderr:
            raise RuntimeError(f"the rerun was not a no-op:\n{stdout[-3000:]}\n{stderr[-3000:]}")
        runs.append(seconds)
    measured.results["noop_rerun_s"] = statistics.median(runs)
    measured.info["noop_rerun_runs_s"] = runs


def measure_single_training_job(measured, pipeline, config):
    """One forced training job: wall time with a worker's start, its memory (job process + child),
    and /usr/bin/time -v's maximum (snakemake and the job's process only: the worker leaves the tree)."""
    dataset = next(iter(config["datasets"]))
    activation = activation_label(next(iter(config["activations"])))
    target = f"results/runs/{dataset}/{activation}/seed{config['seeds'][0]}/history.csv"
    log(f"one training job under {TIME} -v: {target} ...")
    command = [TIME, "-v", *snakemake_command("--cores", "1", "--force", target)]
    seconds, _, stderr, poller = run_timed(command, pipeline, poll="pss", env={WORKER_SWITCH: "1"})
    measured.results["single_job_time_v_max_rss_gb"] = max_rss_gb(stderr)
    memory = job_memory(poller.processes)
    reason = f"the poller saw no worker's child training the job (poller error: {poller.error})"
    measured.record("single_job_peak_rss_gb", memory["job_rss"], reason, 1e-9)
    measured.record("single_job_peak_pss_gb", memory["job_pss"], reason, 1e-9)
    measured.results["single_job_wall_s"] = seconds
    measured.info["single_job_memory"] = memory


def measure_training_sweep(measured, config, workdir, cores, worker):
    """Issue 11's sweep, cold, with the warm worker on or off; returns the workflow copy.

    The results are named sweep_* with the worker, sweep_no_worker_* without.
    """
    prefix = "sweep_" if worker else "sweep_no_worker_"
    n_runs = len(config["datasets"]) * len(config["activations"]) * len(config["seeds"])
    directory = copy_workflow(workdir / prefix.rstrip("_"), config)
    switch = "1" if worker else "0"
    log(f"sweep of {n_runs} runs, {WORKER_SWITCH}={switch}: snakemake --cores {cores} in {directory} ...")
    command = snakemake_command("--cores", str(cores))
    seconds, stdout, stderr, poller = run_timed(command, directory, poll="pss", env={WORKER_SWITCH: switch})
    counts = job_stats(stdout + stderr)
    check_train_jobs(counts, n_runs, f"sweep with {WORKER_SWITCH}={switch}")
    measured.results[f"{prefix}cold_s"] = seconds
    measured.results[f"{prefix}jobs"] = counts["total"]
    measured.info[f"{prefix}job_counts"] = counts
    records = record_job_overhead(measured, prefix, directory)
    measured.results[f"{prefix}train_seconds_median"] = statistics.median(r["train_seconds"] for r in records)
    in_worker = sum(r["in_worker"] for r in records)
    if worker:
        split_job_overhead(measured, prefix, directory, records, handover_seconds(poller.processes))
    memory = job_memory(poller.processes)
    measured.info[f"{prefix}memory"] = memory
    measured.info[f"{prefix}poller_error"] = poller.error
    measured.info[f"{prefix}poller_pss_reads"] = sum(entry.pss_reads for entry in poller.processes.values())
    # What polling took from the run it timed (a thread of this process, which shares the cores).
    measured.results[f"{prefix}poller_cpu_s"] = poller.cpu_seconds
    if worker:
        measured.results["sweep_runs"] = n_runs
        measured.results["sweep_jobs_in_worker"] = in_worker
        if in_worker < n_runs:
            log(f"warning: only {in_worker} of {n_runs} training jobs ran in a warm worker (see their logs)")
        if memory["worker_jobs"] < in_worker:
            log(f"warning: the poller saw the worker's child of {memory['worker_jobs']} of {in_worker} worker jobs")
        reason = f"the poller saw no worker's child training a job (poller error: {poller.error})"
        measured.record("train_job_peak_rss_gb", memory["job_rss"], reason, 1e-9)
        measured.record("train_job_peak_pss_gb", memory["job_pss"], reason, 1e-9)
        measured.record("train_job_process_peak_rss_gb", memory["job_process_rss"], reason, 1e-9)
        measured.record("train_job_child_shared_gb", memory["child_shared"], reason, 1e-9)
        reason = f"the poller saw no worker (poller error: {poller.error})"
        measured.record("worker_peak_rss_gb", memory["worker_rss"], reason, 1e-9)
        measured.record("worker_peak_pss_gb", memory["worker_pss"], reason, 1e-9)
    else:
        if in_worker:
            raise RuntimeError(f"{WORKER_SWITCH}=0, yet {in_worker} training jobs say they ran in a warm worker")
        reason = f"the poller saw no training job process (poller error: {poller.error})"
        measured.record("in_process_train_job_peak_rss_gb", memory["in_process_rss"], reason, 1e-9)
        measured.record("in_process_train_job_peak_pss_gb", memory["in_process_pss"], reason, 1e-9)
        measured.results["sweep_no_worker_over_proxy"] = seconds / measured.results["sweep_proxy_s"]
        measured.results["sweep_worker_speedup"] = seconds / measured.results["sweep_cold_s"]
    return directory


def measure_limit_proxy(measured, config, workdir, cores, sweep_dir):
    """The sweep's runs in ``cores`` processes that import TensorFlow once each (``proxy.py``)."""
    dataset_name, dataset = next(iter(config["datasets"].items()))
    settings = {
        "dataset": dataset,
        "training": config["training"],
        "hidden_units": {**config["model"], **dataset.get("model", {})}["hidden_units"],
        "activations": config["activations"],
        "seeds": config["seeds"],
    }
    n_runs = len(config["activations"]) * len(config["seeds"])
    settings_path = workdir / "proxy_settings.json"
    settings_path.write_text(json.dumps(settings))
    log(f"limit proxy: {n_runs} runs in {cores} processes ...")
    outputs = [(workdir / f"proxy{index}.out", workdir / f"proxy{index}.err") for index in range(cores)]
    start = time.perf_counter()
    processes = []
    for index, (out, err) in enumerate(outputs):
        command = [sys.executable, str(HERE / "proxy.py"), str(settings_path), str(index), str(cores)]
        with open(out, "w") as stdout, open(err, "w") as stderr:
            processes.append(subprocess.Popen(command, cwd=workdir, stdout=stdout, stderr=stderr))
    codes = [process.wait(timeout=3600) for process in processes]
    seconds = time.perf_counter() - start
    shares = []
    for code, (out, err) in zip(codes, outputs):
        if code != 0:
            raise RuntimeError(f"proxy.py failed ({code}):\n{out.read_text()[-3000:]}\n{err.read_text()[-5000:]}")
        shares.append(last_json_line(out.read_text(), "proxy.py"))
    runs = [run for share in shares for run in share["runs"]]
    trained = sorted((run["activation"], run["seed"]) for run in runs)
    wanted = sorted((activation_label(a), int(seed)) for a in config["activations"] for seed in config["seeds"])
    if trained != wanted:
        raise RuntimeError(f"the proxy trained {len(runs)} runs, not the sweep's {n_runs}: {trained} != {wanted}")
    measured.results["sweep_proxy_s"] = seconds
    measured.results["sweep_over_proxy"] = measured.results["sweep_cold_s"] / seconds
    measured.results["proxy_tf_import_s"] = statistics.median(share["import_seconds"] for share in shares)
    measured.results["proxy_run_median_s"] = statistics.median(run["seconds"] for run in runs)
    measured.info["proxy"] = shares

    # The proxy must train the sweep's models: the same final weights, run by run.
    differ = []
    for run in runs:
        run_dir = sweep_dir / "results" / "runs" / dataset_name / run["activation"] / f"seed{run['seed']}"
        if json.loads((run_dir / "metrics.json").read_text())["final_weights_sha256"] != run["final_weights_sha256"]:
            differ.append(f"{run['activation']}/seed{run['seed']}")
    measured.info["proxy_runs_with_other_weights_than_the_sweep"] = differ
    if differ:
        log(f"warning: the proxy's final weights differ from the sweep's in {len(differ)} runs, e.g. {differ[:3]}")


def measure_engines(measured, base_config, workdir, quick):
    """ms/epoch of both engines, and a 100-epoch model including tracing.

    Always the lesson's circles model (700 training rows, batch 32) of the default
    config; --quick only shortens the timing runs.
    """
    lesson_config = resolve(base_config)
    settings = {
        "dataset": lesson_config["datasets"]["circles"],
        "training": lesson_config["training"],
        "grid_resolution": lesson_config["figures"]["grid_resolution"],
        "threads": 1,
        "compiled_epochs": 20 if quick else 100,
        "compiled_repeats": 3 if quick else 7,
        "keras_epochs": 6 if quick else 30,
    }
    log("engines: ms/epoch and a 100-epoch model ...")
    engines = run_script("engines.py", settings, workdir)
    for key in ("compiled_ms_per_epoch", "keras_fit_ms_per_epoch", "model_100_epochs_s", "job_training_s"):
        measured.results[key] = engines[key]
    measured.results["ms_per_epoch_speedup"] = engines["keras_fit_ms_per_epoch"] / engines["compiled_ms_per_epoch"]
    measured.results["engine_tf_import_s"] = engines["import_seconds"]
    measured.info["engines"] = engines


def run_script(name, settings, workdir):
    """Run benchmarks/``name`` in a fresh process with ``settings`` (a JSON
    file its one argument names); returns the JSON line it prints last."""
    settings_path = workdir / f"{Path(name).stem}_settings.json"
    settings_path.write_text(json.dumps(settings))
    _, stdout, _, _ = run_timed([sys.executable, str(HERE / name), str(settings_path)], workdir)
    return last_json_line(stdout, name)


def measure_explorer(measured, pipeline, quick):
    """Size of (b)'s results/explorer.html, and its load time in headless
    Chromium: navigation start to the first drawn view, for a fresh browser
    (the first load) and again (median of 3; --quick: 1)."""
    page = pipeline / "results" / "explorer.html"
    measured.results["explorer_mb"] = page.stat().st_size / 1e6
    try:
        driver = headless_chromium()
    except RuntimeError as error:
        measured.not_measured["explorer_load_s"] = str(error)
        return
    from selenium.webdriver.support.ui import WebDriverWait

    log("explorer.html: load time in headless Chromium ...")
    loads = []
    try:
        for _ in range(2 if quick else 4):
            driver.get("about:blank")
            driver.get(page.as_uri())
            WebDriverWait(driver, 120).until(lambda d: d.execute_script("return document.body.dataset.ready"))
            loads.append(float(driver.execute_script("return document.body.dataset.readyMs")) / 1000)
    finally:
        driver.quit()
    measured.results["explorer_first_load_s"] = loads[0]
    measured.results["explorer_load_s"] = statistics.median(loads[1:])
    measured.info["explorer_loads_s"] = loads


def measure_explorer_snapshots(measured, base_config, workdir, quick):
    """Training time with the explorer's grids over without (benchmarks/snapshots.py)."""
    lesson_config = resolve(base_config)
    settings = {
        "dataset": lesson_config["datasets"]["circles"],
        "training": lesson_config["training"],
        "grid_resolution": lesson_config["figures"]["grid_resolution"],
        "explorer_frames": lesson_config["figures"]["explorer_frames"],
        "activations": lesson_config["activations"],
        "repeats": 1 if quick else 4,
    }
    log("explorer grids: training with and without them ...")
    snapshots = run_script("snapshots.py", settings, workdir)
    measured.results["explorer_snapshot_cost_ratio"] = snapshots["ratio"]
    measured.info["explorer_snapshots"] = snapshots


def measure_sweep_dry_run(measured, base_config, workdir, cores, quick):
    """Dry run of a large generated sweep given with --configfile."""
    n_activations, n_seeds = (10, 2) if quick else (10, 50)
    sweep = sweep_config(n_activations, n_seeds, list(SWEEP_DATASETS))
    sweep_dir = copy_workflow(workdir / "sweep", base_config)
    (sweep_dir / "sweep.yaml").write_text(yaml.safe_dump(sweep, sort_keys=False))
    n_train_jobs = n_activations * n_seeds * len(SWEEP_DATASETS)
    log(f"dry run of a {n_train_jobs}-training-job sweep ...")
    arguments = ("-n", "--cores", str(cores), "--configfile", "sweep.yaml")
    seconds, stdout, stderr, _ = run_timed(snakemake_command(*arguments), sweep_dir)
    counts = job_stats(stdout + stderr)
    check_train_jobs(counts, n_train_jobs, "sweep dry run")
    measured.results["dryrun_sweep_s"] = seconds
    measured.results["dryrun_sweep_train_jobs"] = n_train_jobs
    measured.results["dryrun_sweep_jobs"] = counts["total"]
    measured.info["dryrun_command"] = " ".join(["snakemake", *arguments])


def measure_tuning_cost(measured, workdir, cores, quick):
    """Issue 20: config/tuned.yaml cold against the same config without its
    ``tuning:`` block (one verdict at fixed settings), both through the warm
    worker. --quick shrinks both to 2 activations, 2 seeds, 5 epochs."""
    # As `--configfile config/tuned.yaml` gives it: over config.yaml, key by key.
    tuned = resolve(load_config(REPO / "config.yaml", yaml.safe_load((REPO / "config" / "tuned.yaml").read_text())))
    if quick:
        tuned["activations"], tuned["seeds"] = tuned["activations"][:2], tuned["seeds"][:2]
        tuned["training"]["epochs"] = 5
        tuned["tuning"]["seeds"] = tuned["tuning"]["seeds"][:2]
        tuned["tuning"]["grid"]["learning_rate"] = tuned["tuning"]["grid"]["learning_rate"][:2]
    untuned = {key: value for key, value in tuned.items() if key != "tuning"}
    for name, config in (("untuned", untuned), ("tuned", tuned)):
        log(f"tuning cost: {name} config cold, --cores {cores} ...")
        seconds, stdout, stderr, _ = run_timed(
            snakemake_command("--cores", str(cores)), copy_workflow(workdir / name, config), env={WORKER_SWITCH: "1"}
        )
        counts = job_stats(stdout + stderr)
        measured.info[f"{name}_jobs"] = counts
        measured.results[f"{name}_cold_s"] = seconds
        measured.results[f"{name}_trainings"] = sum(counts.get(rule, 0) for rule in ("train", "tune", "train_fixed"))
    measured.results["tuned_over_untuned"] = measured.results["tuned_cold_s"] / measured.results["untuned_cold_s"]


def measure(args):
    """Run every measurement; returns (results, info)."""
    measured = Measurements()
    base_config = yaml.safe_load((REPO / "config.yaml").read_text())
    config = resolve(QUICK_CONFIG if args.quick else base_config)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="actzoo-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    n_models = len(config["datasets"]) * len(config["activations"]) * len(config["seeds"])
    measured.info.update(
        mode="quick" if args.quick else "full",
        workdir=str(workdir),
        cores=args.cores,
        models=n_models,
        config=config,
        machine={
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": list(os.getloadavg()),
        },
        # The runs set it themselves: 1 for all but the sweep_no_worker_* run.
        worker_switch_in_environment=os.environ.get(WORKER_SWITCH),
    )

    measure_lesson_loop(measured, config, workdir, n_models)
    pipeline = measure_pipeline_cold(measured, config, workdir, args.cores, n_models)
    measure_noop_reruns(measured, pipeline, args.cores, repeats=1 if args.quick else NOOP_RERUNS)
    measure_single_training_job(measured, pipeline, config)
    measure_explorer(measured, pipeline, args.quick)
    measure_engines(measured, base_config, workdir, args.quick)
    measure_explorer_snapshots(measured, base_config, workdir, args.quick)
    sweep = training_sweep_config(base_config, QUICK_TRAINING_SWEEP if args.quick else TRAINING_SWEEP)
    measured.info["sweep_config"] = sweep
    sweep_dir = measure_training_sweep(measured, sweep, workdir, args.cores, worker=True)
    measure_limit_proxy(measured, sweep, workdir, args.cores, sweep_dir)
    if not args.quick:  # ~100 s: the worker's speed-up, measured in this run
        measure_training_sweep(measured, sweep, workdir, args.cores, worker=False)
    measure_sweep_dry_run(measured, base_config, workdir, args.cores, args.quick)
    measure_tuning_cost(measured, workdir, args.cores, args.quick)

    measured.info["load_average_at_end"] = list(os.getloadavg())
    measured.info["not_measured"] = measured.not_measured
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return measured.results, measured.info


def judge(value, limit, sense):
    """Whether ``value`` meets a target: True or False, or None when there is no value."""
    if sense not in ("ge", "le"):
        raise ValueError(f"a target's sense is 'ge' or 'le', not {sense!r}")
    if value is None:
        return None
    return value >= limit if sense == "ge" else value <= limit


def targets(results, quick=False):
    """{target name: {value, limit, sense, met}} for every target of TARGETS.

    met is None when the value was not measured, and with ``quick`` for the
    targets that the tiny config cannot be compared with.
    """
    verdicts = {}
    for name, (limit, sense) in TARGETS.items():
        value = results.get(name)
        met = None if quick and name in QUICK_NOT_COMPARABLE else judge(value, limit, sense)
        verdicts[name] = {"value": value, "limit": limit, "sense": sense, "met": met}
    return verdicts


# (result name, label, unit); labels are formatted with the run's info and results.
ROWS = [
    ("lesson_loop_s", "(a) lesson loop, one process, model.fit", "s"),
    ("lesson_tf_import_s", "    of which TensorFlow import", "s"),
    ("pipeline_cold_s", "(b) pipeline cold, snakemake --cores {cores}", "s"),
    ("pipeline_over_lesson", "ratio b/a", "x"),
    ("pipeline_job_overhead_median_s", "  per-run overhead in (b), median", "s"),
    ("sweep_cold_s", "(c) {sweep_runs}-run sweep cold, --cores {cores}", "s"),
    ("sweep_proxy_s", "(d) limit proxy, {cores} processes", "s"),
    ("sweep_over_proxy", "ratio c/d", "x"),
    ("sweep_no_worker_cold_s", "(e) sweep (c) with ACTZOO_WORKER=0", "s"),
    ("sweep_no_worker_over_proxy", "ratio e/d", "x"),
    ("sweep_worker_speedup", "ratio e/c, the worker's speed-up", "x"),
    ("sweep_job_overhead_median_s", "per-run overhead in (c), median", "s"),
    ("sweep_job_handover_median_s", "  of which start to handover, median", "s"),
    ("sweep_job_overhead_after_handover_median_s", "  of which after the handover, median", "s"),
    ("sweep_job_wall_median_s", "  job process wall time in (c), median", "s"),
    ("sweep_train_seconds_median", "  train_seconds in (c), median", "s"),
    ("proxy_run_median_s", "  a run in (d), median", "s"),
    ("sweep_no_worker_job_overhead_median_s", "  per-run overhead in (e), median", "s"),
    ("sweep_poller_cpu_s", "  CPU time of the memory poller during (c)", "s"),
    ("keras_fit_ms_per_epoch", "ms/epoch, stock model.fit", "ms"),
    ("compiled_ms_per_epoch", "ms/epoch, compiled engine", "ms"),
    ("ms_per_epoch_speedup", "speed-up per epoch", "x"),
    ("model_100_epochs_s", "100-epoch model incl. tracing (no import)", "s"),
    ("job_training_s", "  same + snapshots/checkpoints", "s"),
    ("pipeline_train_seconds_median", "  train_seconds in pipeline jobs (median)", "s"),
    ("train_job_peak_rss_gb", "peak RSS of a training job (c), with child", "GB"),
    ("train_job_peak_pss_gb", "peak PSS of a training job (c), with child", "GB"),
    ("train_job_child_shared_gb", "  child's RSS - PSS: shared (median)", "GB"),
    ("worker_peak_rss_gb", "  worker process, peak RSS", "GB"),
    ("worker_peak_pss_gb", "  worker process, peak PSS", "GB"),
    ("in_process_train_job_peak_rss_gb", "  in-process job in (e), peak RSS", "GB"),
    ("in_process_train_job_peak_pss_gb", "  in-process job in (e), peak PSS", "GB"),
    ("single_job_peak_rss_gb", "  snakemake --force 1 job, peak RSS", "GB"),
    ("single_job_time_v_max_rss_gb", "  same, /usr/bin/time -v (without worker)", "GB"),
    ("pipeline_time_v_max_rss_gb", "  /usr/bin/time -v, (b) (without worker)", "GB"),
    ("noop_rerun_s", "no-op rerun, --cores {cores} (median of {noop_reruns})", "s"),
    ("dryrun_sweep_s", "dry run, {sweep_train_jobs} training jobs", "s"),
    ("explorer_snapshot_cost_ratio", "training with explorer grids / without", "x"),
    ("explorer_mb", "explorer.html of (b)", "MB"),
    ("explorer_first_load_s", "  its first load, headless Chromium", "s"),
    ("explorer_load_s", "  its load time again (median of 3)", "s"),
    ("untuned_cold_s", "config/tuned.yaml without tuning, cold", "s"),
    ("tuned_cold_s", "config/tuned.yaml, cold", "s"),
    ("tuned_over_untuned", "ratio tuned/untuned", "x"),
]

OUTCOMES = {True: "met", False: "MISSED", None: "n/a"}


def table(results, verdicts, info):
    header = (
        f"actzoo benchmark ({info['mode']}; {info['models']} models; {info['machine']['cpus']} CPUs; "
        f"load average {info['machine']['load_average_at_start'][0]:.2f} at start)"
    )
    lines = [
        header,
        "",
        f"| {'measure':<44} | {'value':>10} | {'target':<14} |",
        f"|{'-' * 46}|{'-' * 12}|{'-' * 16}|",
    ]
    sweep_train_jobs = results.get("dryrun_sweep_train_jobs")
    label_fields = {
        "cores": info["cores"],
        "noop_reruns": len(info.get("noop_rerun_runs_s", [])),
        "sweep_train_jobs": "?" if sweep_train_jobs is None else f"{sweep_train_jobs:,}",
        "sweep_runs": results.get("sweep_runs", "?"),
    }
    for key, label, unit in ROWS:
        verdict = verdicts.get(key)
        if key not in results and verdict is None:
            continue
        value = results.get(key)
        if value is None:
            text = "-"
        else:
            text = f"{value:.3f} {unit}" if value < 10 else f"{value:.1f} {unit}"
        target = ""
        if verdict is not None:
            sign = ">=" if verdict["sense"] == "ge" else "<="
            target = f"{sign} {verdict['limit']:g} {OUTCOMES[verdict['met']]}"
        lines.append(f"| {label.format(**label_fields):<44} | {text:>10} | {target:<14} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny config: a smoke test in under a minute")
    parser.add_argument("--json", type=Path, help="write all numbers to this JSON file")
    parser.add_argument("--workdir", help="work here instead of a temporary directory (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores for the pipeline runs (default 2)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results, info = measure(args)
    verdicts = targets(results, args.quick)
    info["benchmark_seconds"] = time.perf_counter() - started
    print(table(results, verdicts, info))
    print(f"\n(benchmark took {info['benchmark_seconds']:.0f} s; work dir {info['workdir']})")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "targets": verdicts, "info": info}, indent=2) + "\n")


if __name__ == "__main__":
    main()
