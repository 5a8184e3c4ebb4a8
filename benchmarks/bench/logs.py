"""What a finished run's files and the tools' outputs say: training jobs' wall
times (their logs) and train_seconds (metrics.json), GNU time's maximum RSS, and
the JSON line a helper script ends with."""

import json
import re
from pathlib import Path

# The lines a training job's log holds (actzoo.workerclient.call).
JOB_WALL_LINE = re.compile(r"^actzoo: job process ran ([0-9.]+) s$", re.MULTILINE)
IN_WORKER_LINE = re.compile(r"^actzoo: running \S+ in warm worker process \d+ \(forked by worker \d+\)$", re.MULTILINE)


def train_log(directory, dataset, activation, seed):
    """The training log of one run of a workflow copy (``seed``: the number)."""
    return Path(directory) / "logs" / "train" / dataset / activation / f"seed{seed}.log"


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
        dataset, activation, seed = run.parent.parent.name, run.parent.name, int(run.name.removeprefix("seed"))
        log_path = train_log(directory, dataset, activation, seed)
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
                "seed": seed,
                "wall_s": wall,
                "train_seconds": train_seconds,
                "overhead_s": None if wall is None else wall - train_seconds,
                "in_worker": bool(IN_WORKER_LINE.search(text)),
            }
        )
    if not records:
        raise RuntimeError(f"no metrics.json under {directory / 'results' / 'runs'}")
    return records


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
        raise RuntimeError(f"no 'Maximum resident set size' in the output of time -v:\n{time_v_stderr[-3000:]}")
    return int(match.group(1)) * 1024 / 1e9


def check_train_jobs(counts, expected, what):
    if counts.get("train") != expected:
        raise RuntimeError(f"{what}: expected {expected} train jobs, Snakemake's job stats say {counts}")
