#!/usr/bin/env python
"""actzoo benchmark: the lesson's notebook loop against this pipeline.

Usage (from the repository root)::

    python benchmarks/run.py [--quick] [--cores N] [--json PATH] [--workdir DIR] [--keep] [--no-cluster]
    python benchmarks/run.py --render benchmarks/benchmark.json   # rewrite benchmarks/README.md's numbers

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
  job (process start times, psutil): the handover (Python's start, the
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
  RSS (VmHWM) of every process of the run, and PSS (psutil's memory_full_info,
  sparingly: it costs milliseconds) of the job processes (train.py), of the actzoo
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
  over without, in one process (``benchmarks/snapshots.py``); issue 24's
  ``explorer_units_cost_ratio``, the same runs with the unit pictures too
  (``figures.explorer_units``) over with the grids alone; ``explorer_mb``, the size
  of (b)'s results/explorer.html; its load time in headless Chromium from
  navigation start to the first drawn view: ``explorer_first_load_s`` in a fresh
  browser, ``explorer_load_s`` the median of 3 more loads.
- tuning (issue 20): ``tuned_cold_s``, config/tuned.yaml cold, against
  ``untuned_cold_s``, the same config without its ``tuning:`` block;
  ``tuned_over_untuned`` their ratio, and ``*_trainings`` the training jobs of each.
- SLURM (issue 23; bench/cluster.py, skipped by --quick and --no-cluster, and
  not measured where no cluster answers): the sweep's trainings (no tables or
  figures) locally with the warm worker (``local_warm_cpu_s_per_training``: the
  CPU time of everything the run started, the worker and its children
  included) and through ``--profile profiles/slurm --cores N``: allocated
  CPU-seconds per training from sacct (``cluster_cpu_s_per_training``) and
  their ratio ``cluster_over_local_cpu_per_training``; the packs' sacct CPU
  efficiency (TotalCPU / (Elapsed x AllocCPUS)); the most trainings a pack ran
  at once over its CPUs; and the official plugin (``profiles/slurm-plugin``)
  on one pack of 8 of them (``plugin_*``).
- dryrun_sweep_s: ``snakemake -n --cores N`` of a generated sweep (10 activations x 50
  seeds x 4 datasets = 2,000 training jobs) given with ``--configfile``.

A number that could not be measured is left out of the results, named with the
reason under ``not_measured`` in the JSON's info, and its target is judged n/a.

Output: a table on stdout and, with --json, all numbers as JSON. The targets are
in benchmarks/targets.yaml; the code is the package benchmarks/bench/ (see its
__init__). --render writes the generated section of benchmarks/README.md from a
JSON, so that the published numbers are the measured ones.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from bench import report
from bench.measure import measure
from bench.targets import verdicts


def render(json_path, readme):
    """Rewrite the generated section of ``readme`` from the benchmark JSON ``json_path``."""
    text = readme.read_text()
    readme.write_text(report.replace_section(text, report.markdown(json.loads(json_path.read_text())), readme))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny config: a smoke test in a few minutes")
    parser.add_argument("--json", type=Path, help="write all numbers to this JSON file")
    parser.add_argument("--workdir", help="work here instead of a temporary directory (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores for the pipeline runs (default 2)")
    parser.add_argument("--no-cluster", action="store_true", help="skip the SLURM sweep (see bench/cluster.py)")
    parser.add_argument("--render", type=Path, metavar="JSON", help="measure nothing: write the README's numbers")
    parser.add_argument("--readme", type=Path, default=report.README, help="the README --render rewrites")
    args = parser.parse_args(argv)
    if args.render:
        try:
            render(args.render, args.readme)
        except (OSError, ValueError, KeyError) as error:
            sys.exit(f"benchmarks/run.py --render: {args.render}: {error!r}")
        return
    started = time.perf_counter()
    results, info = measure(args)
    judged = verdicts(results, args.quick)
    info["benchmark_seconds"] = time.perf_counter() - started
    print(report.table(results, judged, info))
    print(f"\n(benchmark took {info['benchmark_seconds']:.0f} s; work dir {info['workdir']})")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "targets": judged, "info": info}, indent=2) + "\n")


if __name__ == "__main__":
    main()
