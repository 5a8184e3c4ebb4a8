"""The benchmark's report: the table it prints, and the generated section of
``benchmarks/README.md``, both from the same rows so that they say the same."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN = "<!-- generated: begin -->"
END = "<!-- generated: end -->"
RENDER_COMMAND = "python benchmarks/run.py --render benchmarks/benchmark.json"
MEASURE_COMMAND = "python benchmarks/run.py --json benchmarks/benchmark.json"
NOT_YET_GENERATED = (
    f"**Not yet generated.** No full benchmark has been committed as `benchmarks/benchmark.json`. "
    f"On an idle machine run `{MEASURE_COMMAND}`, then `{RENDER_COMMAND}` to write this section "
    "from it (the hand-written sections below hold the last numbers measured)."
)

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
    ("explorer_units_cost_ratio", "training with unit pictures / grids only", "x"),
    ("explorer_mb", "explorer.html of (b)", "MB"),
    ("explorer_units_mb", "of which the unit pictures", "MB"),
    ("explorer_first_load_s", "  its first load, headless Chromium", "s"),
    ("explorer_load_s", "  its load time again (median of 3)", "s"),
    ("untuned_cold_s", "config/tuned.yaml without tuning, cold", "s"),
    ("tuned_cold_s", "config/tuned.yaml, cold", "s"),
    ("tuned_over_untuned", "ratio tuned/untuned", "x"),
    ("local_warm_cpu_s_per_training", "(f) CPU per training, local, warm worker", "s"),
    ("cluster_cpu_s_per_training", "(g) same via profiles/slurm, allocated", "s"),
    ("cluster_over_local_cpu_per_training", "ratio g/f", "x"),
    ("cluster_cpu_efficiency", "  CPU used / allocated on SLURM (sacct)", "x"),
    ("cluster_cpus_per_pack", "  CPUs per pack", "n"),
    ("cluster_at_once_over_cpus", "  trainings at once / CPUs of a pack", "x"),
    ("plugin_cpu_s_per_training", "(h) same through profiles/slurm-plugin", "s"),
    ("plugin_cpu_efficiency", "  CPU used / allocated (sacct)", "x"),
]

OUTCOMES = {True: "met", False: "MISSED", None: "n/a"}


def rows(results, verdicts, info):
    """``(label, value, target)`` strings for every row with a result or a target."""
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
        yield label.format(**label_fields), text, target


def heading(info):
    machine = info["machine"]
    return (
        f"actzoo benchmark ({info['mode']}; {info['models']} models; {machine['cpus']} CPUs; "
        f"load average {machine['load_average_at_start'][0]:.2f} at start)"
    )


def table(results, verdicts, info):
    """The fixed-width table the benchmark prints."""
    lines = [
        heading(info),
        "",
        f"| {'measure':<44} | {'value':>10} | {'target':<14} |",
        f"|{'-' * 46}|{'-' * 12}|{'-' * 16}|",
    ]
    lines += [f"| {label:<44} | {text:>10} | {target:<14} |" for label, text, target in rows(results, verdicts, info)]
    return "\n".join(lines)


def provenance(info):
    """One sentence: what produced the numbers, on what, under what load."""
    machine = info["machine"]
    versions = "".join(f", {name} {version}" for name, version in info.get("versions", {}).items())
    command = MEASURE_COMMAND + (" --quick" if info["mode"] == "quick" else "")
    end = info.get("load_average_at_end")
    load = f"load average {machine['load_average_at_start'][0]:.2f} at the start"
    load += f" and {end[0]:.2f} at the end" if end else ""
    return (
        f"Generated by `{RENDER_COMMAND}` from the output of `{command}`: {info['models']} models, "
        f"`--cores {info['cores']}`, {machine['cpus']} CPUs, {load}, {info.get('benchmark_seconds', 0):.0f} s "
        f"in all; Python {machine['python']}{versions}; {machine['platform']}."
    )


def markdown(report):
    """The generated section of benchmarks/README.md from a benchmark JSON (``{results, targets, info}``)."""
    results, verdicts, info = report["results"], report["targets"], report["info"]
    lines = [provenance(info), "", "| measure | value | target |", "|---|---:|---|"]
    lines += [f"| {_indent(label)} | {text} | {target} |" for label, text, target in rows(results, verdicts, info)]
    not_measured = info.get("not_measured", {})
    if not_measured:
        lines += ["", "Not measured:", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in sorted(not_measured.items())]
    return "\n".join(lines)


def _indent(label):
    """Leading spaces mark a sub-row in the terminal; markdown would drop them."""
    stripped = label.lstrip(" ")
    return f"↳ {stripped}" if stripped != label else label


def replace_section(text, section, path=README):
    """``text`` (a README) with the part between BEGIN and END replaced by ``section``."""
    pattern = re.compile(re.escape(BEGIN) + r"\n.*?\n" + re.escape(END), re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"{path}: expected one section between {BEGIN!r} and {END!r}")
    return pattern.sub(lambda _: f"{BEGIN}\n{section}\n{END}", text)


def generated_section(text, path=README):
    """The part of ``text`` between BEGIN and END."""
    match = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.DOTALL)
    if match is None:
        raise ValueError(f"{path}: expected a section between {BEGIN!r} and {END!r}")
    return match.group(1)
