"""Merge per-run histories and metrics into tables (no TensorFlow here)."""

import json
from pathlib import Path

import pandas as pd

HISTORY_COLUMNS = ["dataset", "activation", "seed", "epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
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


def merge_histories(history_paths, metrics):
    """Stack run histories, keyed by the dataset/(model)/activation/seed their metrics record."""
    keys = with_variants(HISTORY_COLUMNS[:3], metrics)
    frames = []
    for path, run in zip(history_paths, metrics, strict=True):
        frame = pd.read_csv(path)
        for position, key in enumerate(keys):
            frame.insert(position, key, run[key])
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    columns = with_variants(HISTORY_COLUMNS, metrics)
    return table[columns + [c for c in table.columns if c not in columns]]


def runs_table(metrics):
    columns = with_variants(RUN_COLUMNS, metrics)
    return pd.DataFrame([{column: run.get(column) for column in columns} for run in metrics])


def provenance_of(metrics):
    """Which code, libraries and hyper-parameters produced the tables."""
    unique = lambda key: sorted({json.dumps(run[key], sort_keys=True) for run in metrics})  # noqa: E731
    return {
        "runs": len(metrics),
        "code_sha256": [json.loads(v) for v in unique("code_sha256")],
        "versions": [json.loads(v) for v in unique("versions")],
        "hyperparameters": {
            run["dataset"]: run["hyperparameters"] for run in sorted(metrics, key=lambda r: r["dataset"])
        },
    }
