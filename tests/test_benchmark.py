"""benchmarks/run.py and its package benchmarks/bench/: how it judges its targets and
labels its table (in-process), how it reads job logs and memory, how it writes the numbers
of benchmarks/README.md, and a smoke test that --quick runs end to end and reports every number.

The full benchmark (the targets of issues 4, 11 and 12) is not part of the suite; run
``python benchmarks/run.py`` for it (see benchmarks/README.md).
"""

import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

# benchmarks/ is on sys.path (conftest.py).
from bench import cluster, configs, logs, measure, processes, report, targets
from bench.cluster import CLUSTER_TARGETS
from harness import job_stats, sacct_seconds

REPO = Path(__file__).resolve().parents[1]
BENCHMARK = REPO / "benchmarks" / "run.py"
FIXTURES = Path(__file__).parent / "fixtures"

EXPECTED = {
    "untuned_cold_s",
    "tuned_cold_s",
    "tuned_over_untuned",
    "untuned_trainings",
    "tuned_trainings",
    "lesson_loop_s",
    "lesson_tf_import_s",
    "lesson_fit_median_s",
    "pipeline_cold_s",
    "pipeline_over_lesson",
    "pipeline_jobs",
    "pipeline_time_v_max_rss_gb",
    "train_job_peak_rss_gb",
    "snakemake_peak_rss_gb",
    "pipeline_train_seconds_median",
    "noop_rerun_s",
    "compiled_ms_per_epoch",
    "keras_fit_ms_per_epoch",
    "ms_per_epoch_speedup",
    "model_100_epochs_s",
    "job_training_s",
    "engine_tf_import_s",
    "dryrun_sweep_s",
    "dryrun_sweep_train_jobs",
    "dryrun_sweep_jobs",
    # issue 11
    "pipeline_job_overhead_median_s",
    "pipeline_job_wall_median_s",
    "single_job_time_v_max_rss_gb",
    "single_job_peak_rss_gb",
    "single_job_peak_pss_gb",
    "single_job_wall_s",
    "sweep_runs",
    "sweep_cold_s",
    "sweep_jobs",
    "sweep_jobs_in_worker",
    "sweep_job_overhead_median_s",
    "sweep_job_wall_median_s",
    "sweep_job_handover_median_s",
    "sweep_job_overhead_after_handover_median_s",
    "sweep_train_seconds_median",
    "sweep_poller_cpu_s",
    "sweep_proxy_s",
    "sweep_over_proxy",
    "proxy_tf_import_s",
    "proxy_run_median_s",
    "train_job_peak_pss_gb",
    "train_job_process_peak_rss_gb",
    "train_job_child_shared_gb",
    "worker_peak_rss_gb",
    "worker_peak_pss_gb",
    # issue 12
    "explorer_snapshot_cost_ratio",
    "explorer_mb",
    # issue 24
    "explorer_units_cost_ratio",
    "explorer_units_mb",
}
# Needs headless Chromium: not measured, with the reason, where it is missing.
BROWSER_ONLY = {"explorer_first_load_s", "explorer_load_s"}
# Measured by the full run only: the sweep with ACTZOO_WORKER=0 (see test_the_sweep_without_a_worker_...).
FULL_ONLY = {
    "sweep_no_worker_cold_s",
    "sweep_no_worker_jobs",
    "sweep_no_worker_job_overhead_median_s",
    "sweep_no_worker_job_wall_median_s",
    "sweep_no_worker_train_seconds_median",
    "sweep_no_worker_poller_cpu_s",
    "sweep_no_worker_over_proxy",
    "sweep_worker_speedup",
    "in_process_train_job_peak_rss_gb",
    "in_process_train_job_peak_pss_gb",
}

# The targets as benchmarks/targets.yaml states them, read here as plain YAML, so
# that a verdict is checked against the file, not against the code that reads it.
_TARGETS_FILE = yaml.safe_load((REPO / "benchmarks" / "targets.yaml").read_text())
DOCUMENTED_TARGETS = {name: (t["limit"], t["sense"]) for name, t in _TARGETS_FILE["targets"].items()}
QUICK_NOT_COMPARABLE = set(_TARGETS_FILE["quick_not_comparable"])


def met_as_documented(name, value):
    limit, sense = DOCUMENTED_TARGETS[name]
    return value >= limit if sense == "ge" else value <= limit


# --- In-process: target verdicts, table labels, run-time checks ---------------------------


@pytest.mark.parametrize("name", sorted(DOCUMENTED_TARGETS))
def test_a_value_just_inside_a_target_meets_it_and_just_outside_misses_it(name):
    limit, sense = DOCUMENTED_TARGETS[name]
    better, worse = (limit * 1.01, limit * 0.99) if sense == "ge" else (limit * 0.99, limit * 1.01)
    for value, expected in ((better, True), (limit, True), (worse, False)):
        verdict = targets.verdicts({name: value})[name]
        assert verdict["met"] is expected, (name, value, verdict)
        assert (verdict["value"], verdict["limit"], verdict["sense"]) == (value, limit, sense)


def test_met_is_none_only_for_a_missing_value():
    everything = {name: limit for name, (limit, _) in DOCUMENTED_TARGETS.items()}
    assert targets.verdicts(everything).keys() == DOCUMENTED_TARGETS.keys()
    assert all(verdict["met"] is True for verdict in targets.verdicts(everything).values())
    for missing in DOCUMENTED_TARGETS:
        verdicts = targets.verdicts({name: value for name, value in everything.items() if name != missing})
        assert [name for name, verdict in verdicts.items() if verdict["met"] is None] == [missing]
        assert verdicts[missing]["value"] is None


def test_quick_mode_judges_only_the_comparable_targets():
    missed = {name: limit * 2 if sense == "le" else limit / 2 for name, (limit, sense) in DOCUMENTED_TARGETS.items()}
    verdicts = targets.verdicts(missed, quick=True)
    assert {name for name, verdict in verdicts.items() if verdict["met"] is None} == QUICK_NOT_COMPARABLE
    assert all(verdicts[name]["met"] is False for name in DOCUMENTED_TARGETS.keys() - QUICK_NOT_COMPARABLE)


def test_the_table_names_the_cores_used_and_marks_an_unmeasured_target():
    results = {"pipeline_cold_s": 80.0, "pipeline_over_lesson": 0.4, "noop_rerun_s": 1.2}
    info = {"mode": "full", "models": 24, "cores": 7, "noop_rerun_runs_s": [1.1, 1.2, 1.3]}
    info["machine"] = {"cpus": 2, "load_average_at_start": [0.5, 0.5, 0.5]}
    rows = report.table(results, targets.verdicts(results), info).splitlines()
    assert any("snakemake --cores 7" in row and "80.0 s" in row for row in rows), rows
    assert any("no-op rerun, --cores 7 (median of 3)" in row and "<= 3 met" in row for row in rows), rows
    assert any("ratio b/a" in row and "<= 0.15 MISSED" in row for row in rows), rows
    assert any("peak RSS of a training job" in row and "<= 1 n/a" in row for row in rows), rows
    assert not any("--cores 2" in row for row in rows), rows


class _Poller:
    def __init__(self, peak_bytes):
        self.peak_bytes = peak_bytes

    def peak(self, pattern):
        return self.peak_bytes


def test_a_process_the_poller_never_saw_is_reported_not_measured():
    measured = measure.Measurements()
    measured.record_peak_rss_gb("train_job_peak_rss_gb", _Poller(None), processes.TRAIN_JOB_PROCESS)
    measured.record_peak_rss_gb("snakemake_peak_rss_gb", _Poller(2_500_000_000), processes.SNAKEMAKE_PROCESS)
    assert measured.results == {"snakemake_peak_rss_gb": 2.5}
    assert measured.not_measured.keys() == {"train_job_peak_rss_gb"}


def test_run_time_checks_raise_errors_that_say_what_went_wrong():
    with pytest.raises(RuntimeError, match="expected 4 train jobs"):
        logs.check_train_jobs({"train": 3, "total": 5}, 4, "cold pipeline run")
    logs.check_train_jobs({"train": 4, "total": 6}, 4, "cold pipeline run")
    with pytest.raises(RuntimeError, match="Maximum resident set size"):
        logs.max_rss_gb("Command exited with non-zero status 1\n")
    assert logs.max_rss_gb("\tMaximum resident set size (kbytes): 1000000\n") == pytest.approx(1.024)
    with pytest.raises(RuntimeError, match="engines.py did not end its output with a JSON line"):
        logs.last_json_line("Traceback (most recent call last):\n", "engines.py")


def test_job_stats_reads_the_first_table_and_refuses_output_without_one():
    table = "Job stats:\njob      count\n-----  -------\ntrain        4\nall          1\ntotal        5\n"
    output = f"{table}\nlater        9\n"
    assert job_stats(output) == {"train": 4, "all": 1, "total": 5}
    with pytest.raises(ValueError, match="no 'Job stats:' table"):
        job_stats("Building DAG of jobs...\nIncompleteFilesException\n")


def test_the_table_labels_the_sweep_rows_and_every_full_only_number():
    results = {name: 1.0 for name in EXPECTED | FULL_ONLY}
    results |= {"sweep_runs": 48, "sweep_cold_s": 20.0, "sweep_proxy_s": 14.0, "sweep_over_proxy": 1.43}
    info = {"mode": "full", "models": 24, "cores": 3, "noop_rerun_runs_s": [1.0]}
    info["machine"] = {"cpus": 2, "load_average_at_start": [0.5, 0.5, 0.5]}
    text = report.table(results, targets.verdicts(results), info)
    rows = text.splitlines()
    for label in (
        "(e) sweep (c) with ACTZOO_WORKER=0",
        "ratio e/d",
        "ratio e/c, the worker's speed-up",
        "per-run overhead in (e), median",
        "in-process job in (e), peak RSS",
        "in-process job in (e), peak PSS",
    ):
        assert any(label in row for row in rows), (label, rows)
    assert any("(c) 48-run sweep cold, --cores 3" in row and "20.0 s" in row for row in rows), rows
    assert any("(d) limit proxy, 3 processes" in row and "14.0 s" in row for row in rows), rows
    assert any("ratio c/d" in row and "<= 1.5 met" in row for row in rows), rows
    assert any("per-run overhead in (c), median" in row and "<= 0.3 MISSED" in row for row in rows), rows
    assert any("peak PSS of a training job" in row and "<= 1 met" in row for row in rows), rows
    assert any("ratio b/a" in row and "<= 0.15 MISSED" in row for row in rows), rows
    assert all(len(row) == len(rows[2]) for row in rows[2:]), "a label or target too long for its column"


def test_the_full_sweep_is_issue_11s_and_the_quick_one_is_the_same_workflow_smaller():
    base = yaml.safe_load((REPO / "config.yaml").read_text())
    full = configs.training_sweep_config(base, configs.TRAINING_SWEEP)
    assert full["activations"] == ["sigmoid", "tanh", "relu", "leaky_relu"]
    assert full["seeds"] == list(range(1, 13))
    circles = {"generator": "circles", "n_samples": 1000, "factor": 0.2, "noise": 0.1, "validation_fraction": 0.3}
    assert list(full["datasets"]) == ["circles"] and circles.items() <= full["datasets"]["circles"].items()
    # The default training settings, but 100 epochs.
    assert full["training"] == {**configs.resolve(base)["training"], "epochs": 100}
    quick = configs.training_sweep_config(base, configs.QUICK_TRAINING_SWEEP)
    assert len(quick["activations"]) * len(quick["seeds"]) < 10 and quick["training"]["epochs"] < 10
    assert quick["datasets"] == full["datasets"]


def _peak(command, kind, log=None, rss=0, pss=None, shared=None):
    return processes.ProcessPeak(command, kind=kind, log=log, rss=rss, pss=pss, shared=shared)


def test_job_memory_adds_a_jobs_process_to_the_worker_child_writing_its_log():
    gb = 10**9
    log_a, log_b = "/w/logs/train/circles/relu/seed1.log", "/w/logs/train/circles/tanh/seed1.log"
    serve = "python -c ...serve --owner=1"
    seen = {
        1: _peak("python -m snakemake --cores 2", "other", rss=3 * gb),
        2: _peak("python tmp.train.py", "job", log_a, rss=int(0.03 * gb), pss=int(0.02 * gb)),
        3: _peak(serve, "child", log_a, rss=int(0.4 * gb), pss=int(0.3 * gb), shared=10),
        4: _peak("python tmp.train.py", "job", log_b, rss=int(0.03 * gb), pss=int(0.02 * gb)),
        5: _peak(serve, "child", log_b, rss=int(0.5 * gb), pss=int(0.2 * gb), shared=30),
        6: _peak(serve, "worker", rss=int(0.7 * gb), pss=int(0.4 * gb)),
        # the child that ran tabulate_activations: not a training job
        7: _peak(serve, "child", "/w/logs/tabulate_activations.log", rss=9 * gb, pss=9 * gb, shared=0),
    }
    memory = processes.job_memory(seen)
    assert (memory["worker_jobs"], memory["in_process_jobs"]) == (2, 0)
    assert memory["job_rss"] == int(0.03 * gb) + int(0.5 * gb)
    assert memory["job_pss"] == int(0.02 * gb) + int(0.3 * gb)
    assert memory["child_shared"] == 20
    assert memory["job_process_rss"] == int(0.03 * gb)
    assert (memory["worker_rss"], memory["worker_pss"]) == (int(0.7 * gb), int(0.4 * gb))
    assert memory["in_process_rss"] is None and memory["in_process_pss"] is None

    # ACTZOO_WORKER=0: the job's own process is the whole job.
    memory = processes.job_memory({2: seen[2], 4: _peak("python tmp.train.py", "job", log_b, rss=gb, pss=gb // 2)})
    assert (memory["worker_jobs"], memory["in_process_jobs"]) == (0, 2)
    assert (memory["in_process_rss"], memory["in_process_pss"]) == (gb, gb // 2)
    assert memory["job_rss"] is None and memory["worker_rss"] is None

    # A job whose child's PSS was never read has no PSS, rather than its process's alone.
    memory = processes.job_memory({2: seen[2], 3: _peak(serve, "child", log_a, rss=gb)})
    assert memory["job_rss"] == int(0.03 * gb) + gb and memory["job_pss"] is None


def _write_run(directory, activation, seed, train_seconds, log_text):
    run_dir = directory / "results" / "runs" / "circles" / activation / f"seed{seed}"
    run_dir.mkdir(parents=True)
    (run_dir / "metrics.json").write_text(json.dumps({"train_seconds": train_seconds}))
    log_path = directory / "logs" / "train" / "circles" / activation / f"seed{seed}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text(log_text)


def test_job_overhead_is_the_logged_wall_time_minus_train_seconds(tmp_path):
    worker_line = "actzoo: running actzoo.runs:train_and_save in warm worker process 123 (forked by worker 100)\n"
    _write_run(tmp_path, "relu", 1, 0.5, f"{worker_line}actzoo: job process ran 0.70 s\n")
    _write_run(tmp_path, "relu", 2, 0.25, f"{worker_line}actzoo: job process ran 0.45 s\n")
    fallback = "actzoo: no warm worker (it broke); running actzoo.runs:train_and_save in the job's own process\n"
    _write_run(tmp_path, "tanh", 1, 0.5, f"{fallback}actzoo: job process ran 4.50 s\n")
    measured = measure.Measurements()
    records = measure.record_job_overhead(measured, "sweep_", tmp_path)
    assert [r["in_worker"] for r in records] == [True, True, False]
    assert [r["overhead_s"] for r in records] == pytest.approx([0.2, 0.2, 4.0])
    assert measured.results == pytest.approx({"sweep_job_overhead_median_s": 0.2, "sweep_job_wall_median_s": 0.7})

    # The jobs' processes and the worker's children as the poller saw them; tanh/seed1 fell back.
    relu1, relu2 = (str(tmp_path / f"logs/train/circles/relu/seed{seed}.log") for seed in (1, 2))
    seen = {
        1: processes.ProcessPeak("tmp.train.py", "job", relu1, started=10.0),
        2: processes.ProcessPeak("serve", "child", relu1, started=10.15),
        3: processes.ProcessPeak("tmp.train.py", "job", relu2, started=20.0),
        4: processes.ProcessPeak("serve", "child", relu2, started=20.05),
        5: processes.ProcessPeak(
            "tmp.train.py", "job", str(tmp_path / "logs/train/circles/tanh/seed1.log"), started=30.0
        ),
        6: processes.ProcessPeak("serve", "child", str(tmp_path / "logs/tabulate_activations.log"), started=30.1),
    }
    handovers = processes.handover_seconds(seen)
    assert handovers == pytest.approx({relu1: 0.15, relu2: 0.05})
    measure.split_job_overhead(measured, "sweep_", tmp_path, records, handovers)
    assert measured.results["sweep_job_handover_median_s"] == pytest.approx((0.15 + 0.05) / 2)
    assert measured.results["sweep_job_overhead_after_handover_median_s"] == pytest.approx((0.05 + 0.15) / 2)
    assert [record["handover_s"] for record in records] == pytest.approx([0.15, 0.05, None])

    _write_run(tmp_path, "tanh", 2, 0.5, worker_line)  # a job that did not log its wall time
    measured = measure.Measurements()
    measure.record_job_overhead(measured, "sweep_", tmp_path)
    assert measured.results == {}
    assert measured.not_measured.keys() == {"sweep_job_overhead_median_s", "sweep_job_wall_median_s"}
    assert "tanh/seed2" in measured.not_measured["sweep_job_overhead_median_s"]


# A stand-in for a snakemake run (FAKE_RUN): it starts a "job" (FAKE_JOB), which starts two
# "workers" (FAKE_WORKER, from a file, so that only the workers' command lines hold it) in
# sessions of their own, as actzoo.worker.start_worker does. Each worker forks a "child" that
# writes to its log (stderr) and takes 64 MB. The first worker names the run as its owner; the
# second names another run (pid 1), so it is not this run's, and its child must not be polled.
# No process sleeps: each waits for SIGUSR1, which the test sends once the poller has seen
# what it must see at that stage, so the test's outcome never depends on timing.
FAKE_WORKER = """
# from actzoo.worker import serve
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
pid = os.fork()
if pid == 0:
    os.dup2(os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT), 2)
    block = b"x" * (64 << 20)
    with open(sys.argv[1] + ".pid", "w") as handle:
        handle.write(str(os.getpid()))
    signal.sigwait({signal.SIGUSR1})
    os._exit(0)
os.waitpid(pid, 0)
"""
FAKE_JOB = """
import pathlib, signal, subprocess, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
worker = pathlib.Path(sys.argv[4]).read_text()
for log, owner in ((sys.argv[2], sys.argv[1]), (sys.argv[3], "1")):
    subprocess.Popen([sys.executable, "-c", worker, log, "--owner=" + owner], start_new_session=True)
signal.sigwait({signal.SIGUSR1})
"""
FAKE_RUN = """
import os, signal, subprocess, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
subprocess.run([sys.executable, "-c", sys.argv[1], str(os.getpid()), *sys.argv[2:]])
signal.sigwait({signal.SIGUSR1})
"""


def wait_for(condition, what, bound=60):
    """``condition()``'s first true value, checked every 20 ms; fails after ``bound`` seconds (generous)."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"not within {bound} s: {what}")


def test_the_poller_follows_a_worker_out_of_the_run_and_reads_its_child(tmp_path):
    ours = tmp_path / "logs" / "train" / "circles" / "relu" / "seed1.log"
    theirs = tmp_path / "logs" / "train" / "circles" / "tanh" / "seed1.log"
    for log_path in (ours, theirs):
        log_path.parent.mkdir(parents=True, exist_ok=True)
    worker = tmp_path / "worker.py"
    worker.write_text(FAKE_WORKER)
    command = [sys.executable, "-c", FAKE_RUN, FAKE_JOB, str(ours), str(theirs), str(worker)]
    process = subprocess.Popen(command)
    try:
        with processes.TreePoller(process.pid) as poller:
            # The worker is recognised while its job is alive; then the job ends and the worker leaves the tree.
            (worker_pid,) = wait_for(lambda: list(poller.workers), "the poller recognises the run's worker")
            os.kill(psutil.Process(worker_pid).ppid(), signal.SIGUSR1)

            def child_seen():
                found = [e for e in list(poller.processes.values()) if e.kind == "child" and e.pss is not None]
                return found if found and found[0].rss > 64 << 20 else None

            wait_for(child_seen, "the poller reads the worker's child at its peak")
            for log_path in (ours, theirs):
                pid_file = log_path.with_name(log_path.name + ".pid")
                os.kill(int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), pid_file)), signal.SIGUSR1)
            os.kill(process.pid, signal.SIGUSR1)
            process.wait(timeout=60)
    finally:
        process.kill()
    assert poller.error is None
    kinds = [entry.kind for entry in poller.processes.values()]
    assert kinds.count("worker") == 1 and kinds.count("child") == 1, poller.processes
    (child,) = (entry for entry in poller.processes.values() if entry.kind == "child")
    assert child.log == str(ours), child
    assert child.rss > 64 << 20, child
    # PSS is at most the RSS read with it (pss_rss). Not the sampled peak: under
    # load the one sample of RSS can come before the child has touched all of
    # its memory, and the PSS read after it (a fresh-clone run saw 69.7 > 68.8 MB).
    assert child.pss is not None and 0 < child.pss <= child.pss_rss, child
    assert child.shared is not None and child.shared >= 0, child
    memory = processes.job_memory(poller.processes)
    assert memory["worker_jobs"] == 1 and memory["worker_rss"] > 0
    assert not any(entry.log == str(theirs) for entry in poller.processes.values()), poller.processes
    assert poller.cpu_seconds > 0


@pytest.mark.slow
def test_the_sweep_without_a_worker_runs_every_job_in_its_own_process(tmp_path):
    """The full run's ACTZOO_WORKER=0 sweep (which --quick skips), on a tiny sweep."""
    base = yaml.safe_load((REPO / "config.yaml").read_text())
    tiny = {"activations": ["tanh", "relu"], "seeds": 1, "epochs": 2, "overrides": {"figures": {"grid_resolution": 10}}}
    measured = measure.Measurements()
    measured.results |= {"sweep_cold_s": 10.0, "sweep_proxy_s": 5.0}  # as the worker sweep and the proxy left them
    measure.measure_training_sweep(measured, configs.training_sweep_config(base, tiny), tmp_path, 2, worker=False)
    results = measured.results
    assert measured.not_measured == {}
    assert FULL_ONLY <= results.keys(), sorted(FULL_ONLY - results.keys())
    for name in FULL_ONLY:
        assert math.isfinite(results[name]) and results[name] > 0, (name, results[name])
    assert results["sweep_no_worker_over_proxy"] == pytest.approx(results["sweep_no_worker_cold_s"] / 5.0)
    assert results["sweep_worker_speedup"] == pytest.approx(results["sweep_no_worker_cold_s"] / 10.0)
    assert [job["in_worker"] for job in measured.info["sweep_no_worker_train_jobs"]] == [False, False]
    # The job's own process imported TensorFlow: far more than a worker job's own process (~30 MB).
    assert results["in_process_train_job_peak_rss_gb"] > 0.2, results
    assert results["in_process_train_job_peak_pss_gb"] <= results["in_process_train_job_peak_rss_gb"]
    assert measured.info["sweep_no_worker_memory"]["worker_jobs"] == 0


# --- benchmarks/README.md: its numbers are rendered from a benchmark JSON ------------------


def test_the_readme_shows_the_committed_benchmark_or_says_that_it_has_none():
    committed = REPO / "benchmarks" / "benchmark.json"
    if committed.exists():
        expected = report.markdown(json.loads(committed.read_text()))
    else:
        expected = report.NOT_YET_GENERATED
    assert report.generated_section(report.README.read_text()) == expected, (
        f"benchmarks/README.md is out of date: run {report.RENDER_COMMAND}"
    )


def render(json_path, readme):
    return subprocess.run(
        [sys.executable, str(BENCHMARK), "--render", str(json_path), "--readme", str(readme)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_render_writes_a_benchmarks_numbers_into_the_readmes_section_and_nothing_else(tmp_path):
    readme = tmp_path / "README.md"
    before, after = "# Performance\n\nIntro.\n\n", "\n\n## Earlier\n\nHand-written 1.9 s.\n"
    readme.write_text(f"{before}{report.BEGIN}\n{report.NOT_YET_GENERATED}\n{report.END}{after}")
    result = render(FIXTURES / "benchmark.json", readme)
    assert result.returncode == 0, result.stderr
    text = readme.read_text()
    assert text.startswith(before + report.BEGIN) and text.endswith(report.END + after)
    section = report.generated_section(text).splitlines()
    # The fixture's made-up numbers, as rows of the markdown table, with their verdicts.
    for row in (
        "| (a) lesson loop, one process, model.fit | 500.0 s |  |",
        "| ↳ of which TensorFlow import | 3.250 s |  |",
        "| ratio b/a | 0.125 x | <= 0.15 met |",
        "| ratio c/d | 2.000 x | <= 1.5 MISSED |",
        "| dry run, 2,000 training jobs | 8.000 s | <= 20 met |",
        "| peak PSS of a training job (c), with child | - | <= 1 n/a |",
        "- `explorer_load_s`: no headless Chromium (install as root: bash .ci/chromium-up.sh)",
    ):
        assert row in section, (row, section)
    assert "load average 0.25 at the start and 1.50 at the end" in section[0], section[0]
    assert "Python 3.11.7, tensorflow 2.21.0, keras 3.15.1, snakemake 9.27.1" in section[0], section[0]
    # Rendering again changes nothing.
    assert render(FIXTURES / "benchmark.json", readme).returncode == 0
    assert readme.read_text() == text


def test_render_refuses_a_readme_without_its_section_and_writes_nothing(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Performance\n\nNo markers here.\n")
    result = render(FIXTURES / "benchmark.json", readme)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and report.BEGIN in result.stderr, result.stderr
    assert readme.read_text() == "# Performance\n\nNo markers here.\n"


# --- End to end: benchmarks/run.py --quick --------------------------------------------------


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bench")
    path = directory / "bench.json"
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick", "--json", str(path)],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,  # the assertion below shows the benchmark's output
    )
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return json.loads(path.read_text()), result.stdout


@pytest.mark.slow
def test_quick_benchmark_reports_every_number_positive(quick):
    report, _ = quick
    results = report["results"]
    assert EXPECTED <= results.keys(), sorted(EXPECTED - results.keys())
    # --quick leaves out the SLURM sweep, and says so.
    not_measured = report["info"]["not_measured"]
    assert {name: not_measured.pop(name) for name in CLUSTER_TARGETS} == dict.fromkeys(
        CLUSTER_TARGETS, "--quick: the SLURM sweep runs in the full benchmark only"
    )
    if shutil.which("chromium") and shutil.which("chromedriver"):
        assert not_measured == {}
        assert BROWSER_ONLY <= results.keys()
    else:
        assert not_measured.keys() == {"explorer_load_s"}
    for name, value in results.items():
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (name, value)
        assert math.isfinite(value), (name, value)
        # A difference of times with 10 ms resolution, which can round below a small true value.
        floor = -0.02 if name == "sweep_job_overhead_after_handover_median_s" else 0
        assert value > floor, (name, value)
    assert results["pipeline_over_lesson"] == pytest.approx(results["pipeline_cold_s"] / results["lesson_loop_s"])
    # The engine timings always use the lesson's circles model: 700 rows, batch 32, 100 epochs.
    engines = report["info"]["engines"]
    assert (engines["train_rows"], engines["batch_size"], engines["model_100_epochs_rows"]) == (700, 32, 100)
    assert report["info"]["pipeline_jobs"]["train"] == report["info"]["models"] == 2
    assert not FULL_ONLY & results.keys(), "--quick skips the ACTZOO_WORKER=0 sweep"
    # config/tuned.yaml, shrunk: 2 activations x 2 seeds; tuning 2 rates x 2 seeds, and the fixed runs.
    assert (results["untuned_trainings"], results["tuned_trainings"]) == (4, 2 * 2 * 2 + 4 + 4)
    assert results["tuned_over_untuned"] == pytest.approx(results["tuned_cold_s"] / results["untuned_cold_s"])


@pytest.mark.slow
def test_quick_sweep_ran_every_job_in_the_worker_and_its_proxy_trained_the_same_models(quick):
    report, _ = quick
    results, info = report["results"], report["info"]
    sweep = info["sweep_config"]
    n_runs = len(sweep["activations"]) * len(sweep["seeds"])
    assert results["sweep_runs"] == n_runs == len(info["sweep_train_jobs"]) == 6
    assert results["sweep_over_proxy"] == pytest.approx(results["sweep_cold_s"] / results["sweep_proxy_s"])
    # Every training job handed its training to a warm worker, and the poller saw every child.
    assert results["sweep_jobs_in_worker"] == n_runs, info["sweep_train_jobs"]
    assert info["sweep_memory"]["worker_jobs"] == n_runs, info["sweep_memory"]
    assert info["sweep_poller_error"] is None
    assert all(job["handover_s"] is not None for job in info["sweep_train_jobs"]), info["sweep_train_jobs"]
    overheads = [job["wall_s"] - job["train_seconds"] for job in info["sweep_train_jobs"]]
    assert results["sweep_job_overhead_median_s"] == pytest.approx(statistics.median(overheads))
    # A job is its own small process plus the worker's child: PSS <= RSS, and the child shares with the worker.
    assert results["train_job_peak_pss_gb"] <= results["train_job_peak_rss_gb"]
    assert results["train_job_process_peak_rss_gb"] < 0.5 * results["train_job_peak_rss_gb"]
    assert results["train_job_child_shared_gb"] < results["train_job_peak_rss_gb"]
    # The proxy: one compiled segment per run, the sweep's runs, the sweep's final weights.
    proxy = info["proxy"]
    assert len(proxy) == info["cores"] and all(share["segments"] == [sweep["training"]["epochs"]] for share in proxy)
    trained = sorted((run_["activation"], run_["seed"]) for share in proxy for run_ in share["runs"])
    assert trained == sorted((job["activation"], job["seed"]) for job in info["sweep_train_jobs"])
    assert info["proxy_runs_with_other_weights_than_the_sweep"] == []


@pytest.mark.slow
def test_quick_benchmark_judges_every_target_and_prints_a_table(quick):
    report, stdout = quick
    results, verdicts = report["results"], report["targets"]
    assert verdicts.keys() == DOCUMENTED_TARGETS.keys()
    for name, verdict in verdicts.items():
        limit, sense = DOCUMENTED_TARGETS[name]
        assert (verdict["value"], verdict["limit"], verdict["sense"]) == (results.get(name), limit, sense)
        expected = None if name in QUICK_NOT_COMPARABLE else met_as_documented(name, results[name])
        assert verdict["met"] is expected, (name, verdict)
    for label in (
        "lesson loop",
        "pipeline cold, snakemake --cores 2",
        "ratio b/a",
        "ms/epoch",
        "no-op rerun, --cores 2 (median of 1)",
        "dry run",
        "peak RSS",
        "(c) 6-run sweep cold, --cores 2",
        "(d) limit proxy, 2 processes",
        "ratio c/d",
        "per-run overhead in (c), median",
        "per-run overhead in (b), median",
        "peak PSS of a training job",
        "shared (median)",
        "worker process, peak RSS",
    ):
        assert label in stdout
    assert "ACTZOO_WORKER=0" not in stdout


# --- The SLURM sweep's arithmetic (bench/cluster.py; the runs need a cluster) ---------------


@pytest.mark.parametrize(
    "value, seconds",
    [("00:46.901", 46.901), ("01:02:03", 3723.0), ("1-00:00:01", 86401.0), ("00:00:00", 0.0)],
)
def test_sacct_times_are_read_as_seconds(value, seconds):
    assert sacct_seconds(value) == pytest.approx(seconds)


@pytest.mark.parametrize("limit, minutes", [("40:00", 40), ("01:40:00", 100), ("1-02:00:00", 1560), ("00:00:30", 1)])
def test_sacct_time_limits_are_read_as_minutes(limit, minutes):
    """The SLURM tests' reading of a job's time limit (tests/slurm_cluster.py), on the same parser."""
    from slurm_cluster import timelimit_minutes

    assert timelimit_minutes({"Timelimit": limit}) == minutes


PACK_LOG = """\
[Mon Nov 30 02:26:50 2026]
localrule train:
    output: a
[Mon Nov 30 02:26:50 2026]
localrule train:
    output: b
[Mon Nov 30 02:26:59 2026]
Finished jobid: 11 (Rule: train)
[Mon Nov 30 02:26:59 2026]
localrule train:
[Mon Nov 30 02:27:02 2026]
Finished jobid: 0 (Rule: train)
Finished jobid: 3 (Rule: train)
localrule train:
Finished jobid: 4 (Rule: train)
"""


def test_a_packs_log_tells_how_many_trainings_ran_at_once():
    assert cluster.trainings_at_once(PACK_LOG) == 2
    one_at_a_time = PACK_LOG.replace("    output: a\n[Mon Nov 30 02:26:50 2026]\nlocalrule train:\n", "")
    assert cluster.trainings_at_once(one_at_a_time) == 1


def test_allocated_cpu_seconds_are_elapsed_times_cpus_and_used_is_total_cpu():
    jobs = [
        {"elapsed_s": 40, "cpus": 2, "total_cpu_s": 70.0},
        {"elapsed_s": 10, "cpus": 1, "total_cpu_s": 9.5},
    ]
    assert cluster.allocation(jobs) == (90, 79.5)


def test_the_trainings_of_a_config_are_every_dataset_activation_and_seed():
    config = {"datasets": {"circles": {}, "xor": {}}, "activations": ["relu", "tanh"], "seeds": [1, 2, 3]}
    targets = cluster.training_targets(config)
    assert len(targets) == len(set(targets)) == 12
    assert "results/runs/xor/tanh/seed3/metrics.json" in targets
