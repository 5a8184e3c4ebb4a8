"""Merge per-run histories and metrics into tables (no TensorFlow here)."""

import json
from pathlib import Path

import pandas as pd

from actzoo import columns
from actzoo.tuning import point_name

KEYS = ["dataset", "activation", "seed"]
# A run's own columns (actzoo.columns), keyed by the run.
HISTORY_COLUMNS = KEYS + columns.HISTORY_COLUMNS
DIAGNOSTICS_COLUMNS = KEYS + columns.DIAGNOSTICS_COLUMNS
RUN_COLUMNS = [
    "dataset",
    "activation",
    "seed",
    "val_loss",
    "val_accuracy",
    "best_epoch",
    "epochs",
    "diverged",
    "diverged_epoch",
    "train_seconds",
    "initial_weights_sha256",
    "final_weights_sha256",
    "code_sha256",
]
# Scores on a data set's test split, after val_accuracy, when the runs have them.
TEST_COLUMNS = ["test_loss", "test_accuracy"]


def write_tables(history_paths, metrics_paths, histories, runs, provenance):
    """The merged tables of every run: histories.csv, runs.csv, provenance.json."""
    metrics = read_metrics(metrics_paths)
    merge_histories(history_paths, metrics).to_csv(histories, index=False)
    runs_table(metrics).to_csv(runs, index=False)
    Path(provenance).write_text(json.dumps(provenance_of(metrics), indent=2, sort_keys=True))


def read_json(path):
    return json.loads(Path(path).read_text())


def read_metrics(paths):
    return [read_json(path) for path in paths]


def with_variants(columns, metrics):
    """``columns`` with ``model`` after ``dataset`` if the runs are of model
    variants (config ``models:``); without variants the tables stay as they were."""
    if any(run.get("model") is not None for run in metrics):
        return [columns[0], "model", *columns[1:]]
    return list(columns)


def with_test(columns, metrics):
    """``columns`` with TEST_COLUMNS after ``val_accuracy`` if any run was
    scored on a test split; without one the tables stay as they were."""
    if any("test_loss" in run for run in metrics):
        position = columns.index("val_accuracy") + 1
        return [*columns[:position], *TEST_COLUMNS, *columns[position:]]
    return list(columns)


def write_diagnostics(diagnostics_paths, metrics_paths, path):
    """Every run's diagnostics.csv stacked into one table (no rows when
    diagnostics were off or the keras_fit engine trained)."""
    stack_runs(diagnostics_paths, read_metrics(metrics_paths), DIAGNOSTICS_COLUMNS).to_csv(path, index=False)


def merge_histories(history_paths, metrics):
    """Stack run histories, keyed by run."""
    return stack_runs(history_paths, metrics, HISTORY_COLUMNS)


def stack_runs(paths, metrics, columns):
    """Stack per-run tables, keyed by the dataset/(model)/activation/seed their
    metrics record; ``columns`` first, then any others."""
    keys, columns = with_variants(KEYS, metrics), with_variants(columns, metrics)
    frames = []
    for path, run in zip(paths, metrics, strict=True):
        frame = pd.read_csv(path)
        for position, key in enumerate(keys):
            frame.insert(position, key, run[key])
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    extra = [c for c in table.columns if c not in columns]
    return table[columns + extra]


def runs_table(metrics):
    """One row per run; with tuning, ``settings`` names each run's tuned values."""
    columns = with_test(with_variants(RUN_COLUMNS, metrics), metrics)
    table = pd.DataFrame([{column: run.get(column) for column in columns} for run in metrics])
    if any("tuned" in run for run in metrics):
        table["settings"] = [point_name(run.get("tuned", {})) for run in metrics]
    return table


def provenance_of(metrics):
    """Which code, libraries and hyper-parameters produced the tables."""
    unique = lambda key: sorted({json.dumps(run[key], sort_keys=True) for run in metrics})  # noqa: E731
    return {
        "runs": len(metrics),
        "code_sha256": [json.loads(v) for v in unique("code_sha256")],
        "versions": [json.loads(v) for v in unique("versions")],
        # Per data set, or per "dataset/model" with model variants.
        "hyperparameters": {
            "/".join(filter(None, (run["dataset"], run.get("model")))): run["hyperparameters"]
            for run in sorted(metrics, key=lambda r: (r["dataset"], r.get("model") or ""))
        },
    }
