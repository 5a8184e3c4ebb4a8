"""What recording diagnostics costs: the default config's trainings, in one
process, with ``training.diagnostics`` on and off.

Every repeat trains all runs of ``config.yaml`` (each data set x activation x
seed) once per setting, as a training job does (``engine.train`` with the
boundary grid, the snapshots, the explorer's included, and checkpoint
segments; files are not written). The settings alternate in order between
repeats. Before the first repeat one run per setting is trained and
discarded, so that neither pays the process's first trace. Prints one JSON
line: per setting the total training seconds of each repeat and their median,
the ratio of the medians (on / off) and the median of the per-run ratios, in
wall time and in the process's CPU time (which another workload on the
machine inflates less); it also checks that every history is identical.

    python benchmarks/diagnostics.py [--repeats 3] [--config config.yaml]
"""

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from actzoo import engine  # noqa: E402
from actzoo.config import check_config, load_config  # noqa: E402
from actzoo.datasets import from_spec, is_planar  # noqa: E402
from actzoo.spec import TrainSpec  # noqa: E402


def runs_of(config, activations):
    """Every run's (data, TrainSpec), built as a job builds it (runs.py)."""
    for spec in config["datasets"].values():
        data = from_spec(spec)
        model = {**config["model"], **spec.get("model", {})}
        for activation in activations.values():
            for seed in config["seeds"]:
                run = TrainSpec.from_params(
                    activation, seed, model, config["training"], planar=is_planar(spec),
                    grid_resolution=config["figures"]["grid_resolution"],
                    explorer_frames=config["figures"]["explorer_frames"],
                )  # fmt: skip
                yield data, run


def train(run, training, diagnostics, directory):
    """(wall seconds, CPU seconds, history rows) of one training."""
    data, spec = run
    started, cpu = time.perf_counter(), time.process_time()
    result = engine.train(
        data, dataclasses.replace(spec, diagnostics=diagnostics), checkpoint_dir=directory,
        checkpoint_every=training["checkpoint_every"], log=lambda message: None,
    )  # fmt: skip
    return time.perf_counter() - started, time.process_time() - cpu, result["rows"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--config", default=str(REPO / "config.yaml"))
    args = parser.parse_args()
    config = load_config(args.config)
    activations = check_config(config)
    training = config["training"]
    engine.configure_threads()
    runs = list(runs_of(config, activations))
    per_run = {(clock, on): [] for clock in ("wall", "cpu") for on in (False, True)}  # [repeat][run]
    with tempfile.TemporaryDirectory() as tmp:
        for diagnostics in (False, True):
            train(runs[0], training, diagnostics, Path(tmp) / "warm-up")
        for repeat in range(args.repeats):
            histories = {}
            for diagnostics in (False, True) if repeat % 2 == 0 else (True, False):
                measured = [train(run, training, diagnostics, Path(tmp) / str(i)) for i, run in enumerate(runs)]
                per_run["wall", diagnostics].append([wall for wall, _, _ in measured])
                per_run["cpu", diagnostics].append([cpu for _, cpu, _ in measured])
                histories[diagnostics] = [rows for _, _, rows in measured]
            changed = [i for i, (a, b) in enumerate(zip(histories[False], histories[True])) if not np.array_equal(a, b)]
            if changed:
                sys.exit(f"diagnostics changed the history of runs {changed}")
    report = {"runs": len(runs), "repeats": args.repeats, "epochs": training["epochs"]}
    for clock in ("wall", "cpu"):
        totals = {on: [sum(times) for times in per_run[clock, on]] for on in (False, True)}
        off, on = (np.ravel(per_run[clock, d]) for d in (False, True))
        report[clock] = {
            "off_totals_s": totals[False],
            "on_totals_s": totals[True],
            "off_median_s": statistics.median(totals[False]),
            "on_median_s": statistics.median(totals[True]),
            "ratio_of_medians": statistics.median(totals[True]) / statistics.median(totals[False]),
            "median_per_run_ratio": statistics.median(on / off),
            "per_run_median_off_s": statistics.median(off),
            "per_run_median_on_s": statistics.median(on),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
