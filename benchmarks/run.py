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
- peak RSS of a training job: the largest RSS of any train.py job process,
  polled with psutil (every 50 ms) during the cold run, and ``/usr/bin/time -v``
  around ``snakemake --cores 1 --force <one run's history.csv>`` (its maximum
  is the larger of snakemake itself and the job).
- ms/epoch of the compiled engine and of stock model.fit on the lesson's circles
  model, and a 100-epoch model including tracing (``benchmarks/engines.py``).
- dryrun_sweep_s: ``snakemake -n --cores N`` of a generated sweep (10 activations x 50
  seeds x 4 datasets = 2,000 training jobs) given with ``--configfile``.

A number that could not be measured is left out of the results, named with the
reason under ``not_measured`` in the JSON's info, and its target is judged n/a.

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
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import yaml
from harness import REPO, copy_workflow, job_stats, snakemake_command

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

# Command lines the psutil poller looks for. Snakemake runs a rule's script as a
# copy named .snakemake/scripts/tmp<random>.train.py.
TRAIN_JOB_PROCESS = r"\.train\.py"
SNAKEMAKE_PROCESS = r"-m snakemake"


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


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def resolve(config):
    """The config with the schema's defaults filled in, as the workflow sees it."""
    from snakemake.utils import validate

    config = copy.deepcopy(config)
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    return config


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
                processes = [self.root, *self.root.children(recursive=True)]
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
        """Largest peak RSS (bytes) among processes whose command line matches ``pattern``; None if none was seen."""
        found = [rss for rss, cmd in self.peaks.values() if re.search(pattern, cmd)]
        return max(found) if found else None


def run_timed(command, cwd, poll=False, timeout=3600):
    """Run ``command``; returns (seconds, stdout, stderr, poller or None)."""
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
    """(b) This pipeline from nothing, with the training jobs' memory polled; returns the workflow copy."""
    if not os.access(TIME, os.X_OK):
        raise RuntimeError(f"{TIME} not found: install GNU time (apt-get install time)")
    pipeline = copy_workflow(workdir / "pipeline", config)
    log(f"(b) pipeline cold: snakemake --cores {cores} in {pipeline} ...")
    command = [TIME, "-v", *snakemake_command("--cores", str(cores))]
    seconds, stdout, stderr, poller = run_timed(command, pipeline, poll=True)
    counts = job_stats(stdout + stderr)
    check_train_jobs(counts, n_models, "cold pipeline run")
    measured.info["pipeline_jobs"] = counts
    measured.results["pipeline_jobs"] = counts["total"]
    measured.results["pipeline_time_v_max_rss_gb"] = max_rss_gb(stderr)
    measured.results["pipeline_cold_s"] = seconds
    measured.results["pipeline_over_lesson"] = seconds / measured.results["lesson_loop_s"]
    measured.record_peak_rss_gb("train_job_peak_rss_gb", poller, TRAIN_JOB_PROCESS)
    measured.record_peak_rss_gb("snakemake_peak_rss_gb", poller, SNAKEMAKE_PROCESS)

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
    """Peak RSS of one forced training job under /usr/bin/time -v, as a cross-check of the polled peak."""
    dataset = next(iter(config["datasets"]))
    activation = activation_label(next(iter(config["activations"])))
    target = f"results/runs/{dataset}/{activation}/seed{config['seeds'][0]}/history.csv"
    log(f"one training job under {TIME} -v: {target} ...")
    command = [TIME, "-v", *snakemake_command("--cores", "1", "--force", target)]
    seconds, _, stderr, poller = run_timed(command, pipeline, poll=True)
    measured.results["single_job_time_v_max_rss_gb"] = max_rss_gb(stderr)
    measured.record_peak_rss_gb("single_job_train_peak_rss_gb", poller, TRAIN_JOB_PROCESS)
    measured.results["single_job_wall_s"] = seconds


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
    settings_path = workdir / "engine_settings.json"
    settings_path.write_text(json.dumps(settings))
    log("engines: ms/epoch and a 100-epoch model ...")
    _, stdout, _, _ = run_timed([sys.executable, str(HERE / "engines.py"), str(settings_path)], workdir)
    engines = last_json_line(stdout, "engines.py")
    for key in ("compiled_ms_per_epoch", "keras_fit_ms_per_epoch", "model_100_epochs_s", "job_training_s"):
        measured.results[key] = engines[key]
    measured.results["ms_per_epoch_speedup"] = engines["keras_fit_ms_per_epoch"] / engines["compiled_ms_per_epoch"]
    measured.results["engine_tf_import_s"] = engines["import_seconds"]
    measured.info["engines"] = engines


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
    )

    measure_lesson_loop(measured, config, workdir, n_models)
    pipeline = measure_pipeline_cold(measured, config, workdir, args.cores, n_models)
    measure_noop_reruns(measured, pipeline, args.cores, repeats=1 if args.quick else NOOP_RERUNS)
    if not args.quick:  # the cold run has measured a training job's memory already
        measure_single_training_job(measured, pipeline, config)
    measure_engines(measured, base_config, workdir, args.quick)
    measure_sweep_dry_run(measured, base_config, workdir, args.cores, args.quick)

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
    ("keras_fit_ms_per_epoch", "ms/epoch, stock model.fit", "ms"),
    ("compiled_ms_per_epoch", "ms/epoch, compiled engine", "ms"),
    ("ms_per_epoch_speedup", "speed-up per epoch", "x"),
    ("model_100_epochs_s", "100-epoch model incl. tracing (no import)", "s"),
    ("job_training_s", "  same + snapshots/checkpoints", "s"),
    ("pipeline_train_seconds_median", "  train_seconds in pipeline jobs (median)", "s"),
    ("train_job_peak_rss_gb", "peak RSS of a training job (psutil)", "GB"),
    ("single_job_time_v_max_rss_gb", "  /usr/bin/time -v, snakemake --force 1 job", "GB"),
    ("pipeline_time_v_max_rss_gb", "  /usr/bin/time -v, cold run, any process", "GB"),
    ("noop_rerun_s", "no-op rerun, --cores {cores} (median of {noop_reruns})", "s"),
    ("dryrun_sweep_s", "dry run, {sweep_train_jobs} training jobs", "s"),
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
        f"| {'measure':<44} | {'value':>10} | {'target':<13} |",
        f"|{'-' * 46}|{'-' * 12}|{'-' * 15}|",
    ]
    sweep_train_jobs = results.get("dryrun_sweep_train_jobs")
    label_fields = {
        "cores": info["cores"],
        "noop_reruns": len(info.get("noop_rerun_runs_s", [])),
        "sweep_train_jobs": "?" if sweep_train_jobs is None else f"{sweep_train_jobs:,}",
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
        lines.append(f"| {label.format(**label_fields):<44} | {text:>10} | {target:<13} |")
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
