"""benchmarks/run.py: how it judges its targets and labels its table (in-process), and a
smoke test that --quick runs end to end and reports every number.

The full benchmark (issue 4's targets) is not part of the suite; run
``python benchmarks/run.py`` for it (see the README's "Performance" section).
"""

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARK = REPO / "benchmarks" / "run.py"

# benchmarks/ is on sys.path (conftest.py), so run.py finds its harness module.
_spec = importlib.util.spec_from_file_location("actzoo_benchmark_run", BENCHMARK)
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)

EXPECTED = {
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
}

# The targets as the README's Performance table states them (from issue 4), written
# out here so that a verdict is checked against the documented rule, not against itself.
DOCUMENTED_TARGETS = {
    "ms_per_epoch_speedup": (20.0, "ge"),
    "model_100_epochs_s": (1.0, "le"),
    "pipeline_over_lesson": (0.30, "le"),
    "noop_rerun_s": (3.0, "le"),
    "train_job_peak_rss_gb": (1.0, "le"),
    "dryrun_sweep_s": (20.0, "le"),
}
QUICK_NOT_COMPARABLE = {"pipeline_over_lesson", "dryrun_sweep_s"}


def met_as_documented(name, value):
    limit, sense = DOCUMENTED_TARGETS[name]
    return value >= limit if sense == "ge" else value <= limit


# --- In-process: target verdicts, table labels, run-time checks ---------------------------


@pytest.mark.parametrize("name", sorted(DOCUMENTED_TARGETS))
def test_a_value_just_inside_a_target_meets_it_and_just_outside_misses_it(name):
    limit, sense = DOCUMENTED_TARGETS[name]
    better, worse = (limit * 1.01, limit * 0.99) if sense == "ge" else (limit * 0.99, limit * 1.01)
    for value, expected in ((better, True), (limit, True), (worse, False)):
        verdict = run.targets({name: value})[name]
        assert verdict["met"] is expected, (name, value, verdict)
        assert (verdict["value"], verdict["limit"], verdict["sense"]) == (value, limit, sense)


def test_met_is_none_only_for_a_missing_value():
    everything = {name: limit for name, (limit, _) in DOCUMENTED_TARGETS.items()}
    assert run.targets(everything).keys() == DOCUMENTED_TARGETS.keys()
    assert all(verdict["met"] is True for verdict in run.targets(everything).values())
    for missing in DOCUMENTED_TARGETS:
        verdicts = run.targets({name: value for name, value in everything.items() if name != missing})
        assert [name for name, verdict in verdicts.items() if verdict["met"] is None] == [missing]
        assert verdicts[missing]["value"] is None


def test_quick_mode_judges_only_the_comparable_targets():
    missed = {name: limit * 2 if sense == "le" else limit / 2 for name, (limit, sense) in DOCUMENTED_TARGETS.items()}
    verdicts = run.targets(missed, quick=True)
    assert {name for name, verdict in verdicts.items() if verdict["met"] is None} == QUICK_NOT_COMPARABLE
    assert all(verdicts[name]["met"] is False for name in DOCUMENTED_TARGETS.keys() - QUICK_NOT_COMPARABLE)


def test_the_table_names_the_cores_used_and_marks_an_unmeasured_target():
    results = {"pipeline_cold_s": 80.0, "pipeline_over_lesson": 0.4, "noop_rerun_s": 1.2}
    info = {"mode": "full", "models": 24, "cores": 7, "noop_rerun_runs_s": [1.1, 1.2, 1.3]}
    info["machine"] = {"cpus": 2, "load_average_at_start": [0.5, 0.5, 0.5]}
    rows = run.table(results, run.targets(results), info).splitlines()
    assert any("snakemake --cores 7" in row and "80.0 s" in row for row in rows), rows
    assert any("no-op rerun, --cores 7 (median of 3)" in row and "<= 3 met" in row for row in rows), rows
    assert any("ratio b/a" in row and "<= 0.3 MISSED" in row for row in rows), rows
    assert any("peak RSS of a training job" in row and "<= 1 n/a" in row for row in rows), rows
    assert not any("--cores 2" in row for row in rows), rows


class _Poller:
    def __init__(self, peak_bytes):
        self.peak_bytes = peak_bytes

    def peak(self, pattern):
        return self.peak_bytes


def test_a_process_the_poller_never_saw_is_reported_not_measured():
    measured = run.Measurements()
    measured.record_peak_rss_gb("train_job_peak_rss_gb", _Poller(None), run.TRAIN_JOB_PROCESS)
    measured.record_peak_rss_gb("snakemake_peak_rss_gb", _Poller(2_500_000_000), run.SNAKEMAKE_PROCESS)
    assert measured.results == {"snakemake_peak_rss_gb": 2.5}
    assert measured.not_measured.keys() == {"train_job_peak_rss_gb"}


def test_run_time_checks_raise_errors_that_say_what_went_wrong():
    with pytest.raises(RuntimeError, match="expected 4 train jobs"):
        run.check_train_jobs({"train": 3, "total": 5}, 4, "cold pipeline run")
    run.check_train_jobs({"train": 4, "total": 6}, 4, "cold pipeline run")
    with pytest.raises(RuntimeError, match="Maximum resident set size"):
        run.max_rss_gb("Command exited with non-zero status 1\n")
    assert run.max_rss_gb("\tMaximum resident set size (kbytes): 1000000\n") == pytest.approx(1.024)
    with pytest.raises(RuntimeError, match="engines.py did not end its output with a JSON line"):
        run.last_json_line("Traceback (most recent call last):\n", "engines.py")


def test_job_stats_reads_the_first_table_and_refuses_output_without_one():
    table = "Job stats:\njob      count\n-----  -------\ntrain        4\nall          1\ntotal        5\n"
    output = f"{table}\nlater        9\n"
    assert run.job_stats(output) == {"train": 4, "all": 1, "total": 5}
    with pytest.raises(ValueError, match="no 'Job stats:' table"):
        run.job_stats("Building DAG of jobs...\nIncompleteFilesException\n")


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


def test_quick_benchmark_reports_every_number_positive(quick):
    report, _ = quick
    results = report["results"]
    assert EXPECTED <= results.keys(), sorted(EXPECTED - results.keys())
    assert report["info"]["not_measured"] == {}
    for name, value in results.items():
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (name, value)
        assert math.isfinite(value) and value > 0, (name, value)
    assert results["pipeline_over_lesson"] == pytest.approx(results["pipeline_cold_s"] / results["lesson_loop_s"])
    # The engine timings always use the lesson's circles model: 700 rows, batch 32, 100 epochs.
    engines = report["info"]["engines"]
    assert (engines["train_rows"], engines["batch_size"], engines["model_100_epochs_rows"]) == (700, 32, 100)
    assert report["info"]["pipeline_jobs"]["train"] == report["info"]["models"] == 2


def test_quick_benchmark_judges_every_target_and_prints_a_table(quick):
    report, stdout = quick
    results, verdicts = report["results"], report["targets"]
    assert verdicts.keys() == DOCUMENTED_TARGETS.keys()
    for name, verdict in verdicts.items():
        limit, sense = DOCUMENTED_TARGETS[name]
        assert (verdict["value"], verdict["limit"], verdict["sense"]) == (results[name], limit, sense)
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
    ):
        assert label in stdout


def test_compiled_engine_is_much_faster_per_epoch_than_model_fit(quick):
    """Issue 4 asks for >= 20x; the smoke test demands 5x so a loaded machine cannot fail it."""
    results = quick[0]["results"]
    assert results["keras_fit_ms_per_epoch"] >= 5 * results["compiled_ms_per_epoch"], results
