"""The measurements: each ``measure_*`` runs something and records its numbers in a
``Measurements``; ``measure`` runs them all (see benchmarks/run.py for what each means)."""

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

from bench.cluster import CLUSTER_TARGETS, measure_cluster
from bench.configs import (
    QUICK_CONFIG,
    QUICK_TRAINING_SWEEP,
    SWEEP_DATASETS,
    TRAINING_SWEEP,
    activation_label,
    resolve,
    sweep_config,
    training_sweep_config,
)
from bench.logs import check_train_jobs, last_json_line, max_rss_gb, train_job_records, train_log
from bench.processes import SNAKEMAKE_PROCESS, TreePoller, handover_seconds, job_memory
from harness import REPO, copy_workflow, headless_chromium, job_stats, snakemake_command

HERE = REPO / "benchmarks"
TIME = "/usr/bin/time"
NOOP_RERUNS = 3
WORKER_SWITCH = "ACTZOO_WORKER"


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
        log_path = train_log(directory, record["dataset"], record["activation"], record["seed"])
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
        record_worker_sweep_memory(measured, memory, poller, in_worker, n_runs)
    else:
        if in_worker:
            raise RuntimeError(f"{WORKER_SWITCH}=0, yet {in_worker} training jobs say they ran in a warm worker")
        reason = f"the poller saw no training job process (poller error: {poller.error})"
        measured.record("in_process_train_job_peak_rss_gb", memory["in_process_rss"], reason, 1e-9)
        measured.record("in_process_train_job_peak_pss_gb", memory["in_process_pss"], reason, 1e-9)
        measured.results["sweep_no_worker_over_proxy"] = seconds / measured.results["sweep_proxy_s"]
        measured.results["sweep_worker_speedup"] = seconds / measured.results["sweep_cold_s"]
    return directory


def record_worker_sweep_memory(measured, memory, poller, in_worker, n_runs):
    """The worker sweep's jobs in the worker, and the memory of its jobs and its worker."""
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


def measure_limit_proxy(measured, config, workdir, cores, sweep_dir):
    """The sweep's runs in ``cores`` processes that import TensorFlow once each (``proxy.py``)."""
    dataset_name, dataset = next(iter(config["datasets"].items()))
    settings = {
        "dataset": dataset,
        "training": config["training"],
        # The data set's model as the workflow resolves it (common.smk's model_of),
        # so a configured initializer or architecture reaches the proxy too.
        "model": {**config["model"], **dataset.get("model", {})},
        "activations": config["activations"],
        "seeds": config["seeds"],
    }
    n_runs = len(config["activations"]) * len(config["seeds"])
    settings_path = workdir / "proxy_settings.json"
    settings_path.write_text(json.dumps(settings))
    log(f"limit proxy: {n_runs} runs in {cores} processes ...")
    seconds, shares = run_proxy_processes(settings_path, workdir, cores)
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

    differ = runs_with_other_weights(runs, sweep_dir / "results" / "runs" / dataset_name)
    measured.info["proxy_runs_with_other_weights_than_the_sweep"] = differ
    if differ:
        log(f"warning: the proxy's final weights differ from the sweep's in {len(differ)} runs, e.g. {differ[:3]}")


def run_proxy_processes(settings_path, workdir, cores):
    """``cores`` proxy.py processes at once; returns (seconds from the first start to the last end, their JSON)."""
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
    return seconds, shares


def runs_with_other_weights(runs, dataset_dir):
    """The proxy must train the sweep's models: the proxy runs whose final weights differ from the sweep's."""
    differ = []
    for run in runs:
        metrics = dataset_dir / run["activation"] / f"seed{run['seed']}" / "metrics.json"
        if json.loads(metrics.read_text())["final_weights_sha256"] != run["final_weights_sha256"]:
            differ.append(f"{run['activation']}/seed{run['seed']}")
    return differ


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
    """Size of (b)'s results/explorer.html and of its unit pictures in it (the
    network view's deflated grids), and its load time in headless Chromium:
    navigation start to the first drawn view, for a fresh browser (the first
    load) and again (median of 3; --quick: 1)."""
    page = pipeline / "results" / "explorer.html"
    measured.results["explorer_mb"] = page.stat().st_size / 1e6
    units = re.search(r'<script type="application/octet-stream" id="units">(.*?)</script>', page.read_text(), re.S)
    measured.results["explorer_units_mb"] = len(units.group(1)) / 1e6
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
    """Training time with the explorer's grids over without, and with its unit
    pictures over with the grids alone (benchmarks/snapshots.py)."""
    lesson_config = resolve(base_config)
    settings = {
        "dataset": lesson_config["datasets"]["circles"],
        "training": lesson_config["training"],
        "grid_resolution": lesson_config["figures"]["grid_resolution"],
        "explorer_frames": lesson_config["figures"]["explorer_frames"],
        "explorer_units": lesson_config["figures"]["explorer_units"],
        "activations": lesson_config["activations"],
        "repeats": 1 if quick else 4,
    }
    log("explorer grids: training with and without them ...")
    snapshots = run_script("snapshots.py", settings, workdir)
    measured.results["explorer_snapshot_cost_ratio"] = snapshots["ratio"]
    measured.results["explorer_units_cost_ratio"] = snapshots["units_ratio"]
    measured.info["explorer_unit_pictures_share"] = snapshots.get("unit_pictures_share")
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
    from actzoo.config import load_config

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


def installed_versions():
    """{distribution: version} of what the numbers depend on; TensorFlow is installed under one of several names."""
    found = {}
    for name in ("tensorflow", "tensorflow-cpu", "keras", "snakemake"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


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
        versions=installed_versions(),
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
    if args.quick or args.no_cluster:
        why = "--quick" if args.quick else "--no-cluster"
        for name in CLUSTER_TARGETS:
            measured.record(name, None, f"{why}: the SLURM sweep runs in the full benchmark only")
    else:  # ~5 min on the CI cluster
        measure_cluster(measured, sweep, workdir, args.cores, log)

    measured.info["load_average_at_end"] = list(os.getloadavg())
    measured.info["not_measured"] = measured.not_measured
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return measured.results, measured.info
