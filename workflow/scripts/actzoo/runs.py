"""One training job: read a dataset, train, write the run's files."""

import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from actzoo import engine
from actzoo.columns import DIAGNOSTICS_COLUMNS, HISTORY_COLUMNS
from actzoo.datasets import shades, task_of
from actzoo.provenance import versions
from actzoo.spec import TrainSpec


def train_and_save(data_path, outputs, *, dataset, checkpoint_dir, threads=1, log=None, variant=None, tuned=None,
                   **params):  # fmt: skip
    """Train one (dataset, activation, seed) run and write ``outputs``.

    ``params`` are the train rule's params that decide the result
    (activation, seed, model, training, planar, grid_resolution,
    explorer_frames, explorer_units, code, evaluate_test): ``TrainSpec.from_params`` turns
    them into the run's spec. The rest only names the run or says how to
    execute it: ``dataset``, ``variant`` (the run's model variant, config
    ``models:``) and ``tuned`` (the tuned values its settings hold, config
    ``tuning:``) are recorded; ``checkpoint_dir``, ``training.checkpoint_every``
    and ``threads`` change no result. Messages go to ``log``, by default
    stderr (the job's log).

    ``outputs`` maps history/metrics/model/boundary/diagnostics to paths.
    Everything but ``train_seconds`` in metrics.json is a pure function of
    the inputs; see write_boundary for boundary.npz.

    A data set's test rows (``X_test``, ``y_test``) never reach training:
    they are set aside before it, so the engine, its checkpoint fingerprint
    and the boundary grid see the same data as without a test split. With
    ``evaluate_test`` the final model is scored on them once, and metrics.json
    gets ``test_loss`` and ``test_accuracy`` (defined as val_loss and
    val_accuracy are); without it, or without test rows, nothing is added.
    metrics.json records the initializer used (see actzoo.initializers).
    """
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    engine.configure_threads()  # one thread, whatever ``threads`` reserves
    spec = TrainSpec.from_params(**params)
    with np.load(data_path) as npz:
        data = {k: npz[k] for k in npz.files}
    test = {key: data.pop(key) for key in ("X_test", "y_test") if key in data}
    task = task_of(data)[0]
    started = time.perf_counter()
    checkpoint_every = params["training"].get("checkpoint_every", 0)
    result = engine.train(data, spec, checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, log=log)
    seconds = time.perf_counter() - started
    rows = result["rows"]
    history_table(rows).to_csv(outputs["history"], index=False)
    diagnostics_table(result["diagnostics"]).to_csv(outputs["diagnostics"], index=False)
    result["model"].save(outputs["model"])
    write_boundary(outputs["boundary"], spec, result, data)
    metrics = {
        "dataset": dataset,
        **({"model": variant} if variant is not None else {}),
        "activation": spec.activation["label"],
        "activation_spec": spec.activation,
        "task": task,
        "seed": spec.seed,
        "epochs": len(rows),
        "epochs_requested": spec.epochs,
        "diverged": result["diverged"],
        "diverged_epoch": result["diverged_epoch"],
        "initializer": spec.initializer,
        "initial_weights_sha256": result["initial_weights_sha256"],
        "final_weights_sha256": result["final_weights_sha256"],
        "resumed_from_epoch": result["resumed_from_epoch"],
        "train_seconds": round(seconds, 4),
        "hyperparameters": {"model": params["model"], "training": params["training"]},
        **({"tuned": tuned} if tuned is not None else {}),
        "versions": versions(),
        "code_sha256": spec.code,
        **final_metrics(rows),
    }
    if spec.evaluate_test and test:
        # A diverged run's weights are not finite: its test scores are NaN, as its val_loss is.
        scores = (math.nan, math.nan)
        if not result["diverged"]:
            scores = engine.evaluate(result["model"], test["X_test"], test["y_test"], task)
        metrics |= dict(zip(("test_loss", "test_accuracy"), scores))
    write_json(outputs["metrics"], metrics)
    return metrics


def write_boundary(path, spec, result, data):
    """boundary.npz: for 2-D data, the grid (``xx``, ``yy``), its
    probabilities at the snapshot epochs and the end (``epochs``,
    ``probabilities``: the static figures) and, as 8-bit shades, at the
    explorer's epochs (``explorer_*``, with the network view: see
    network_view); for multiclass data each grid has a trailing axis of class
    probabilities. Without a grid, empty arrays."""
    grid, rows = result["grid"], result["rows"]
    task, n_outputs = task_of(data)
    grids, final = dict(result["snapshots"]), []
    if grid is not None and not result["diverged"]:
        grids[len(rows)] = engine.predict_grid(result["model"], grid, task)
        final = [len(rows)]
    static = sorted(set(spec.snapshot_epochs) & set(grids) - set(final)) + final
    replay = sorted(set(spec.explorer_epochs) & set(grids))
    shape = grid[0].shape if grid is not None else (0, 0)
    if grid is not None and task == "multiclass":
        shape = (*shape, n_outputs)
    np.savez(
        path,
        xx=grid[0] if grid is not None else np.zeros((0, 0)),
        yy=grid[1] if grid is not None else np.zeros((0, 0)),
        epochs=np.array(static, dtype=np.int64),
        probabilities=np.array([grids[e] for e in static], dtype=np.float32).reshape(len(static), *shape),
        explorer_epochs=np.array(replay, dtype=np.int64),
        explorer_probabilities=shades([grids[e] for e in replay]).reshape(len(replay), *shape),
        **network_view(spec, result, data, replay),
    )


def network_view(spec, result, data, replay):
    """boundary.npz's network view at the explorer's epochs ``replay``: the
    hidden layers' sizes (``explorer_hidden_units``) and flat weights
    (``explorer_weights``, see engine.hidden_weights) and, with
    ``spec.explorer_units``, the pictured units (``explorer_unit_*``, see
    actzoo.units). Nothing without explorer frames."""
    if not replay:
        return {}
    from actzoo import units

    weights = dict(result["snapshot_weights"])
    if not result["diverged"]:
        weights[len(result["rows"])] = engine.hidden_weights(engine.hidden_layers(result["model"])).numpy()
    frames = np.array([weights[e] for e in replay], dtype=np.float32)
    pictures = units.unit_pictures(result["model"], result["grid"], frames, data["X_train"], spec.explorer_units)
    return {
        "explorer_hidden_units": np.array(spec.hidden_units, dtype=np.int64),
        "explorer_weights": frames,
        **{f"explorer_unit_{key}": value for key, value in pictures.items()},
    }


def history_table(rows):
    """The run's history.csv: one row per epoch, epochs 1-based."""
    import pandas as pd

    table = pd.DataFrame(rows, columns=HISTORY_COLUMNS[1:]).astype("float64")
    table.insert(0, "epoch", np.arange(1, len(rows) + 1))
    return table


def diagnostics_table(diagnosed):
    """The tidy diagnostics.csv: one row per (epoch, layer), layers 1-based."""
    import pandas as pd

    n_epochs, n_layers, measures = diagnosed.shape
    table = pd.DataFrame(diagnosed.reshape(-1, measures), columns=DIAGNOSTICS_COLUMNS[2:]).astype("float64")
    table.insert(0, "epoch", np.repeat(np.arange(n_epochs), n_layers))
    table.insert(1, "layer", np.tile(np.arange(1, n_layers + 1), n_epochs))
    return table


def write_json(path, payload):
    Path(path).write_text(json.dumps(payload, indent=2, sort_keys=True, allow_nan=True) + "\n")


def final_metrics(rows):
    """Final and best values of a history; NaN when training diverged at once."""
    if not len(rows):
        return {"val_loss": math.nan, "val_accuracy": math.nan, "best_epoch": None}
    val_loss = rows[:, 2].astype(float)
    finite = np.isfinite(val_loss)
    best = int(np.argmin(np.where(finite, val_loss, np.inf))) + 1 if finite.any() else None
    return {"val_loss": float(rows[-1, 2]), "val_accuracy": float(rows[-1, 3]), "best_epoch": best}
