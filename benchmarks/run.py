#!/usr/bin/env python
"""actzoo benchmark: the lesson's notebook loop against this pipeline.

Usage (from the repository root)::

    python benchmarks/run.py [--quick] [--json PATH] [--workdir DIR] [--keep]

Everything runs on this machine in one invocation, so compare the ratios, not
the absolute times. Measured:

- lesson_loop_s: the lesson's way. One Python process imports TensorFlow once
  and loops over datasets x activations x seeds of the config with stock
  ``model.fit`` (``benchmarks/lesson.py``); timed end to end as a subprocess.
- pipeline_cold_s: ``snakemake --cores N`` in a fresh copy of the workflow
  (Snakefile, workflow/, envs/, profiles/default, config.yaml; no results, no .snakemake), same models.
  pipeline_over_lesson = pipeline_cold_s / lesson_loop_s.
- noop_rerun_s: median of 3 further ``snakemake --cores N`` (nothing to do).
- peak RSS of a training job: the largest RSS of any train.py job process,
  polled with psutil (every 50 ms) during the cold run, and ``/usr/bin/time -v``
  around ``snakemake --cores 1 --force <one run's history.csv>`` (its maximum
  is the larger of snakemake itself and the job).
- ms/epoch of the compiled engine and of stock model.fit on the lesson's circles
  model, and a 100-epoch model including tracing (``benchmarks/engines.py``).
- dryrun_sweep_s: ``snakemake -n`` of a generated sweep (10 activations x 50
  seeds x 4 datasets = 2,000 training jobs) given with ``--configfile``.

Output: a table on stdout and, with --json, all numbers as JSON.
"""

import argparse
import copy
import json
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
from pathlib import Path

import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
TIME = "/usr/bin/time"

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

# name: (limit, "le" = value must be <= limit, "ge" = value must be >= limit), from issue 4
TARGETS = {
    "ms_per_epoch_speedup": (20.0, "ge"),
    "model_100_epochs_s": (1.0, "le"),
    "pipeline_over_lesson": (0.30, "le"),
    "noop_rerun_s": (3.0, "le"),
    "train_job_peak_rss_gb": (1.0, "le"),
    "dryrun_sweep_s": (20.0, "le"),
}


# With --quick these depend on the tiny config, so the targets do not apply.
QUICK_NOT_COMPARABLE = {"pipeline_over_lesson", "dryrun_sweep_s"}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def resolve(config):
    """The config with the schema's defaults filled in, as the workflow sees it."""
    from snakemake.utils import validate

    config = copy.deepcopy(config)
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    return config


def copy_workflow(destination, config):
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "Snakefile", destination)
    # envs/: the rules' conda: directives point there and snakemake reads the files even
    # without --sdm conda. profiles/default: the workflow profile snakemake loads by itself.
    for folder in ("workflow", "envs", "profiles/default"):
        if (REPO / folder).exists():
            shutil.copytree(
                REPO / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
            )
    (destination / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return destination


def snakemake_command(*args):
    return [sys.executable, "-m", "snakemake", *args]


class TreePoller:
    """Peak RSS of every process in a process tree, polled in a thread."""

    def __init__(self, pid, interval=0.05):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peaks = {}  # pid -> [peak rss bytes, cmdline]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                processes = [self.root] + self.root.children(recursive=True)
            except psutil.Error:
                processes = []
            for process in processes:
                try:
                    rss = process.memory_info().rss
                    entry = self.peaks.get(process.pid)
                    if entry is None:
                        entry = self.peaks[process.pid] = [0, " ".join(process.cmdline())]
                    entry[0] = max(entry[0], rss)
                except psutil.Error:
                    pass
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def peak(self, pattern):
        """Largest peak RSS (bytes) among processes whose command line matches ``pattern``."""
        found = [rss for rss, cmd in self.peaks.values() if re.search(pattern, cmd)]
        return max(found) if found else None


def run_timed(command, cwd, poll=False, timeout=3600):
    """Run ``command``; returns (seconds, CompletedProcess-like, poller or None)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    poller = TreePoller(process.pid) if poll else None
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


def max_rss_gb(time_v_stderr):
    """'Maximum resident set size' of GNU time -v: the largest process of the tree."""
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_v_stderr)
    return int(match.group(1)) * 1024 / 1e9


def job_counts(output):
    """{rule: count} from snakemake's 'Job stats' table."""
    counts = {}
    if "Job stats:" not in output:
        return counts
    for line in output.split("Job stats:", 1)[1].splitlines():
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if match:
            counts[match.group(1)] = int(match.group(2))
        elif counts and not line.strip():
            break
    return counts


def sweep_config(n_activations, n_seeds, datasets):
    return {
        "seeds": list(range(1, n_seeds + 1)),
        "activations": SWEEP_ACTIVATIONS[:n_activations],
        "datasets": {name: SWEEP_DATASETS[name] for name in datasets},
    }


def measure(args):
    results, info = {}, {}
    base = yaml.safe_load((REPO / "config.yaml").read_text())
    config = resolve(QUICK_CONFIG if args.quick else base)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="actzoo-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    n_models = len(config["datasets"]) * len(config["activations"]) * len(config["seeds"])
    info.update(
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
    )

    # (a) The lesson's way.
    (workdir / "lesson_config.json").write_text(json.dumps(config))
    log(f"(a) lesson loop: {n_models} models with model.fit in one process ...")
    seconds, stdout, _, _ = run_timed(
        [sys.executable, str(HERE / "lesson.py"), str(workdir / "lesson_config.json")], workdir
    )
    lesson = json.loads(stdout.strip().splitlines()[-1])
    results["lesson_loop_s"] = seconds
    results["lesson_tf_import_s"] = lesson["import_seconds"]
    results["lesson_fit_median_s"] = statistics.median(f["seconds"] for f in lesson["fits"])
    info["lesson_fits"] = lesson["fits"]
    assert lesson["models"] == n_models, lesson["models"]

    # (b) This pipeline, cold.
    if not os.access(TIME, os.X_OK):
        raise RuntimeError(f"{TIME} not found: install GNU time (apt-get install time)")
    pipeline = copy_workflow(workdir / "pipeline", config)
    log(f"(b) pipeline cold: snakemake --cores {args.cores} in {pipeline} ...")
    command = [TIME, "-v", *snakemake_command("--cores", str(args.cores))]
    seconds, stdout, stderr, poller = run_timed(command, pipeline, poll=True)
    results["pipeline_time_v_max_rss_gb"] = max_rss_gb(stderr)
    results["pipeline_cold_s"] = seconds
    results["pipeline_over_lesson"] = seconds / results["lesson_loop_s"]
    counts = job_counts(stdout + stderr)
    info["pipeline_jobs"] = counts
    assert counts.get("train") == n_models, counts
    results["pipeline_jobs"] = counts["total"]
    train_peak = poller.peak(r"\.train\.py")
    results["train_job_peak_rss_gb"] = train_peak / 1e9
    results["snakemake_peak_rss_gb"] = poller.peak(r"-m snakemake") / 1e9
    metrics = sorted(pipeline.glob("results/runs/*/*/seed*/metrics.json"))
    seconds_by_dataset = {}
    for path in metrics:
        record = json.loads(path.read_text())
        seconds_by_dataset.setdefault(record["dataset"], []).append(record["train_seconds"])
    first = next(iter(config["datasets"]))
    results["pipeline_train_seconds_median"] = statistics.median(seconds_by_dataset[first])
    info["pipeline_train_seconds"] = seconds_by_dataset

    # No-op rerun.
    log("no-op reruns ...")
    noop = []
    for _ in range(1 if args.quick else 3):
        seconds, stdout, stderr, _ = run_timed(snakemake_command("--cores", str(args.cores)), pipeline)
        if "Nothing to be done" not in stdout + stderr:
            raise RuntimeError(f"the rerun was not a no-op:\n{stdout[-3000:]}\n{stderr[-3000:]}")
        noop.append(seconds)
    results["noop_rerun_s"] = statistics.median(noop)
    info["noop_rerun_runs_s"] = noop

    # Peak RSS of one training job under /usr/bin/time -v (skipped by --quick:
    # the cold run above already measured it).
    if not args.quick:
        activation = next(iter(config["activations"]))
        activation = activation if isinstance(activation, str) else activation.get("label", activation["name"])
        target = f"results/runs/{first}/{activation}/seed{config['seeds'][0]}/history.csv"
        log(f"one training job under {TIME} -v: {target} ...")
        command = [TIME, "-v", *snakemake_command("--cores", "1", "--force", target)]
        seconds, stdout, stderr, poller = run_timed(command, pipeline, poll=True)
        results["single_job_time_v_max_rss_gb"] = max_rss_gb(stderr)
        results["single_job_train_peak_rss_gb"] = poller.peak(r"\.train\.py") / 1e9
        results["single_job_wall_s"] = seconds

    # ms/epoch of both engines, and a 100-epoch model including tracing.
    # Always the lesson's circles model (700 training rows, batch 32); --quick only shortens the timing runs.
    lesson_config = resolve(base)
    settings = {
        "dataset": lesson_config["datasets"]["circles"],
        "training": lesson_config["training"],
        "grid_resolution": lesson_config["figures"]["grid_resolution"],
        "threads": 1,
        "compiled_epochs": 20 if args.quick else 100,
        "compiled_repeats": 3 if args.quick else 7,
        "keras_epochs": 6 if args.quick else 30,
    }
    (workdir / "engine_settings.json").write_text(json.dumps(settings))
    log("engines: ms/epoch and a 100-epoch model ...")
    _, stdout, _, _ = run_timed(
        [sys.executable, str(HERE / "engines.py"), str(workdir / "engine_settings.json")], workdir
    )
    engines = json.loads(stdout.strip().splitlines()[-1])
    for key in ("compiled_ms_per_epoch", "keras_fit_ms_per_epoch", "model_100_epochs_s", "job_training_s"):
        results[key] = engines[key]
    results["ms_per_epoch_speedup"] = engines["keras_fit_ms_per_epoch"] / engines["compiled_ms_per_epoch"]
    results["engine_tf_import_s"] = engines["import_seconds"]
    info["engines"] = engines

    # Dry run of a large sweep.
    n_act, n_seeds = (10, 2) if args.quick else (10, 50)
    sweep = sweep_config(n_act, n_seeds, list(SWEEP_DATASETS))
    sweep_dir = copy_workflow(workdir / "sweep", base)
    (sweep_dir / "sweep.yaml").write_text(yaml.safe_dump(sweep, sort_keys=False))
    n_sweep = n_act * n_seeds * len(SWEEP_DATASETS)
    log(f"dry run of a {n_sweep}-training-job sweep ...")
    seconds, stdout, stderr, _ = run_timed(
        snakemake_command("-n", "--cores", str(args.cores), "--configfile", "sweep.yaml"), sweep_dir
    )
    counts = job_counts(stdout + stderr)
    assert counts.get("train") == n_sweep, counts
    results["dryrun_sweep_s"] = seconds
    results["dryrun_sweep_train_jobs"] = n_sweep
    results["dryrun_sweep_jobs"] = counts["total"]
    info["dryrun_command"] = "snakemake -n --cores 2 --configfile sweep.yaml"
    info["load_average_at_end"] = list(os.getloadavg())

    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return results, info


def targets(results, quick=False):
    verdicts = {}
    for name, (limit, sense) in TARGETS.items():
        value = results[name]
        met = value >= limit if sense == "ge" else value <= limit
        verdicts[name] = {"value": value, "limit": limit, "sense": sense, "met": bool(met)}
        if quick and name in QUICK_NOT_COMPARABLE:
            verdicts[name]["met"] = None
    return verdicts


ROWS = [
    ("lesson_loop_s", "(a) lesson loop, one process, model.fit", "s"),
    ("lesson_tf_import_s", "    of which TensorFlow import", "s"),
    ("pipeline_cold_s", "(b) pipeline cold, snakemake --cores 2", "s"),
    ("pipeline_over_lesson", "ratio b/a", "x"),
    ("keras_fit_ms_per_epoch", "ms/epoch, stock model.fit", "ms"),
    ("compiled_ms_per_epoch", "ms/epoch, compiled engine", "ms"),
    ("ms_per_epoch_speedup", "speed-up per epoch", "x"),
    ("model_100_epochs_s", "100-epoch model incl. tracing (no import)", "s"),
    ("job_training_s", "  same + snapshots/checkpoints", "s"),
    ("pipeline_train_seconds_median", "  train_seconds in pipeline jobs (median)", "s"),
    ("train_job_peak_rss_gb", "peak RSS of a training job (psutil)", "GB"),
    ("single_job_time_v_max_rss_gb", "  /usr/bin/time -v, snakemake --force 1 job", "GB"),
    ("pipeline_time_v_max_rss_gb", "  /usr/bin/time -v, cold run, any process", "GB"),
    ("noop_rerun_s", "no-op rerun (median)", "s"),
    ("dryrun_sweep_s", "dry run of the sweep", "s"),
]


def table(results, verdicts, info):
    lines = [
        f"actzoo benchmark ({info['mode']}; {info['models']} models; {info['machine']['cpus']} CPUs; "
        f"load average {info['machine']['load_average_at_start'][0]:.2f} at start)",
        "",
        f"| {'measure':<44} | {'value':>10} | target      |",
        f"|{'-' * 46}|{'-' * 12}|-------------|",
    ]
    for key, label, unit in ROWS:
        if key not in results:
            continue
        value = results[key]
        if key == "dryrun_sweep_s":
            label = f"dry run, {results['dryrun_sweep_train_jobs']:,} training jobs"
        text = f"{value:.3f} {unit}" if value < 10 else f"{value:.1f} {unit}"
        target = ""
        if key in verdicts:
            v = verdicts[key]
            sign = ">=" if v["sense"] == "ge" else "<="
            target = f"{sign} {v['limit']:g} {'met' if v['met'] else 'MISSED'}"
            if info["mode"] == "quick" and key in QUICK_NOT_COMPARABLE:
                target = f"{sign} {v['limit']:g} n/a"
        lines.append(f"| {label:<44} | {text:>10} | {target:<11} |")
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
