"""Per-epoch cost of the two training engines on the lesson's circles model.

Run by ``benchmarks/run.py`` in a fresh process. Argument: a JSON file with
``dataset`` (the resolved circles spec), ``training`` (the resolved training
section), ``grid_resolution``, ``threads``, ``compiled_epochs``,
``compiled_repeats`` and ``keras_epochs``. Prints one JSON line.

Measured, in this order (the first model of the process pays the first trace,
as a pipeline job does):

1. ``model_100_epochs_s``: ``engine.train(engine="compiled")`` of a fresh
   Dense(4)->Dense(1) model for ``training.epochs`` epochs, build and tracing
   included, TensorFlow import excluded. No snapshots, no checkpoints.
2. ``job_training_s``: the same with what a pipeline job also does in its
   training phase (boundary-grid snapshots, checkpoint segments).
3. ``compiled_ms_per_epoch``: after a warm-up call (the trace), the median of
   ``compiled_repeats`` calls of ``compiled_epochs`` epochs, divided by the
   epoch count (per-call overhead included, so it is an upper bound).
4. ``keras_fit_ms_per_epoch``: after a warm-up ``fit(epochs=1)`` (the trace),
   one ``fit(epochs=keras_epochs)``; the median interval between successive
   ``on_epoch_end`` callbacks (a whole epoch: batches, validation, callbacks).
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

started = time.perf_counter()
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from actzoo import engine  # noqa: E402
from actzoo.activations import normalise  # noqa: E402
from actzoo.datasets import boundary_grid, make_dataset  # noqa: E402

imported = time.perf_counter()

ACTIVATION = normalise("relu")
SEED = 1
HIDDEN_UNITS = [4]


def main(settings_path):
    settings = json.loads(Path(settings_path).read_text())
    engine.configure_threads(settings["threads"])
    spec = {k: v for k, v in settings["dataset"].items() if k != "model"}
    data = make_dataset(spec.pop("generator"), spec.pop("validation_fraction"), spec.pop("random_state"), **spec)
    training = settings["training"]
    epochs, batch_size = training["epochs"], training["batch_size"]
    common = dict(optimizer=training["optimizer"], learning_rate=training["learning_rate"], shuffle=True)
    out = {
        "import_seconds": imported - started,
        "train_rows": int(len(data["X_train"])),
        "val_rows": int(len(data["X_val"])),
        "epochs": epochs,
        "batch_size": batch_size,
        "threads": settings["threads"],
    }

    t = time.perf_counter()
    result = engine.train(data, ACTIVATION, SEED, HIDDEN_UNITS, epochs, batch_size, engine="compiled", **common)
    out["model_100_epochs_s"] = time.perf_counter() - t
    out["model_100_epochs_rows"] = int(len(result["rows"]))

    grid = boundary_grid(np.concatenate([data["X_train"], data["X_val"]]), settings["grid_resolution"])
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        engine.train(
            data,
            ACTIVATION,
            SEED,
            HIDDEN_UNITS,
            epochs,
            batch_size,
            engine="compiled",
            grid=grid,
            snapshot_epochs=training["snapshot_epochs"],
            checkpoint_dir=Path(tmp) / "ckpt",
            checkpoint_every=training["checkpoint_every"],
            **common,
        )
        out["job_training_s"] = time.perf_counter() - t

    # Compiled engine: per-epoch cost once traced.
    model, optimizer = engine.build(ACTIVATION, SEED, 2, 1, HIDDEN_UNITS, common["optimizer"], common["learning_rate"])
    loop = engine.CompiledLoop(model, optimizer, data, batch_size, SEED, shuffle=True)
    n = settings["compiled_epochs"]
    t = time.perf_counter()
    loop.epochs(0, 1)
    out["compiled_first_call_s"] = time.perf_counter() - t
    calls = []
    for _ in range(settings["compiled_repeats"]):
        t = time.perf_counter()
        loop.epochs(0, n)
        calls.append(time.perf_counter() - t)
    out["compiled_call_seconds"] = calls
    out["compiled_ms_per_epoch"] = statistics.median(calls) / n * 1000

    # Stock model.fit: per-epoch cost once traced.
    model, optimizer = engine.build(ACTIVATION, SEED, 2, 1, HIDDEN_UNITS, common["optimizer"], common["learning_rate"])
    model.compile(
        optimizer=optimizer, loss="binary_crossentropy", metrics=[keras.metrics.BinaryAccuracy(name="accuracy")]
    )
    fit_args = dict(validation_data=(data["X_val"], data["y_val"]), batch_size=batch_size, shuffle=True, verbose=0)
    t = time.perf_counter()
    model.fit(data["X_train"], data["y_train"], epochs=1, **fit_args)
    out["keras_fit_first_call_s"] = time.perf_counter() - t
    stamps = []
    stamp = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: stamps.append(time.perf_counter()))
    model.fit(data["X_train"], data["y_train"], epochs=settings["keras_epochs"], callbacks=[stamp], **fit_args)
    intervals = np.diff(stamps)
    out["keras_fit_epoch_seconds"] = intervals.tolist()
    out["keras_fit_ms_per_epoch"] = float(np.median(intervals)) * 1000
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
