"""One training job: read a dataset, train, write the run's files."""

import math
import sys
import time

import numpy as np

from actzoo import engine, initializers
from actzoo.datasets import boundary_grid, explorer_epochs, shades, task_of
from actzoo.provenance import versions


def train_and_save(
    data_path,
    outputs,
    dataset,
    activation,
    seed,
    model,
    training,
    planar,
    grid_resolution,
    checkpoint_dir,
    code,
    threads=1,
    log=None,
    explorer_frames=None,
    variant=None,
    tuned=None,
    evaluate_test=False,
):
    """Train one (dataset, activation, seed) run and write ``outputs``.

    ``outputs`` maps history/metrics/model/boundary/diagnostics to paths. Everything but
    ``train_seconds`` in metrics.json is a pure function of the inputs.
    Messages go to ``log``, by default stderr (the job's log). ``variant``
    names the run's model variant (config ``models:``), if any; ``tuned``
    the tuned values its settings hold (config ``tuning:``). For 2-D data,
    boundary.npz holds the grids at the snapshot epochs and the end
    (``epochs``, ``probabilities``: the static figures) and, as 8-bit shades,
    at ``explorer_frames`` evenly spaced epochs from 0 (``explorer_*``);
    for multiclass data each grid has a trailing axis of class probabilities.

    A data set's test rows (``X_test``, ``y_test``) never reach training:
    they are set aside before it, so the engine, its checkpoint fingerprint
    and the boundary grid see the same data as without a test split. With
    ``evaluate_test`` the final model is scored on them once, and metrics.json
    gets ``test_loss`` and ``test_accuracy`` (defined as val_loss and
    val_accuracy are); without it, or without test rows, nothing is added.
    ``model["initializer"]`` (optional) picks the hidden kernels' initializer;
    metrics.json records the one used (see actzoo.initializers).
    """
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    engine.configure_threads(threads)
    with np.load(data_path) as npz:
        data = {k: npz[k] for k in npz.files}
    test = {key: data.pop(key) for key in ("X_test", "y_test") if key in data}
    task, n_outputs = task_of(data)
    initializer = initializers.resolve(model.get("initializer"), activation)
    grid = None
    explorer = []
    if planar:
        grid = boundary_grid(np.concatenate([data["X_train"], data["X_val"]]), grid_resolution)
        explorer = explorer_epochs(training["epochs"], explorer_frames) if explorer_frames else []
    started = time.perf_counter()
    result = engine.train(
        data,
        activation,
        seed,
        model["hidden_units"],
        training["epochs"],
        training["batch_size"],
        training["optimizer"],
        training["learning_rate"],
        engine=training["engine"],
        shuffle=training["shuffle"],
        grid=grid,
        snapshot_epochs=sorted(set(training["snapshot_epochs"]) | set(explorer)),
        checkpoint_dir=checkpoint_dir,
        checkpoint_every=training["checkpoint_every"],
        diagnostics=training["diagnostics"],
        code=code,
        log=log,
        initializer=initializer,
    )
    seconds = time.perf_counter() - started
    rows = result["rows"]
    engine.history_table(rows).to_csv(outputs["history"], index=False)
    engine.diagnostics_table(result["diagnostics"]).to_csv(outputs["diagnostics"], index=False)
    result["model"].save(outputs["model"])
    epochs_run = len(rows)
    grids, final = dict(result["snapshots"]), []
    if planar and not result["diverged"]:
        grids[epochs_run] = engine.predict_grid(result["model"], grid, task)
        final = [epochs_run]
    static = sorted(set(training["snapshot_epochs"]) & set(grids) - set(final)) + final
    replay = sorted(set(explorer) & set(grids))
    shape = grid[0].shape if planar else (0, 0)
    if planar and task == "multiclass":
        shape = (*shape, n_outputs)
    np.savez(
        outputs["boundary"],
        xx=grid[0] if planar else np.zeros((0, 0)),
        yy=grid[1] if planar else np.zeros((0, 0)),
        epochs=np.array(static, dtype=np.int64),
        probabilities=np.array([grids[e] for e in static], dtype=np.float32).reshape(len(static), *shape),
        explorer_epochs=np.array(replay, dtype=np.int64),
        explorer_probabilities=shades([grids[e] for e in replay]).reshape(len(replay), *shape),
    )
    metrics = {
        "dataset": dataset,
        **({"model": variant} if variant is not None else {}),
        "activation": activation["label"],
        "activation_spec": activation,
        "task": task,
        "seed": seed,
        "epochs": epochs_run,
        "epochs_requested": training["epochs"],
        "diverged": result["diverged"],
        "diverged_epoch": result["diverged_epoch"],
        "initializer": initializer,
        "initial_weights_sha256": result["initial_weights_sha256"],
        "final_weights_sha256": result["final_weights_sha256"],
        "resumed_from_epoch": result["resumed_from_epoch"],
        "train_seconds": round(seconds, 4),
        "hyperparameters": {"model": model, "training": training},
        **({"tuned": tuned} if tuned is not None else {}),
        "versions": versions(),
        "code_sha256": code,
        **engine.final_metrics(rows),
    }
    if evaluate_test and test:
        # A diverged run's weights are not finite: its test scores are NaN, as its val_loss is.
        scores = (math.nan, math.nan)
        if not result["diverged"]:
            scores = engine.evaluate(result["model"], test["X_test"], test["y_test"], task)
        metrics |= dict(zip(("test_loss", "test_accuracy"), scores))
    engine.write_json(outputs["metrics"], metrics)
    return metrics
