"""Per-epoch cost of the two training engines on the lesson's circles model.

Run by ``benchmarks/run.py`` in a fresh process. Argument: a JSON file with
``dataset`` (the resolved circles spec), ``training`` (the resolved training
section), ``grid_resolution``, ``threads``, ``compiled_epochs``,
``compiled_repeats`` and ``keras_epochs``. Prints one JSON line.

Measured, in this order (the first model of the process pays the first trace,
as a pipeline job does):

1. ``model_100_epochs_s``: ``engine.train`` with the compiled engine of a
   fresh Dense(4)->Dense(1) model (a TrainSpec of the config's training
   settings) for ``training.epochs`` epochs, build and tracing included,
   TensorFlow import excluded. No snapshots, no checkpoints.
2. ``job_training_s``: the same with what a pipeline job also does in its
   training phase (boundary-grid snapshots, checkpoint segments).
3. ``compiled_ms_per_epoch``: the loop without diagnostics; after a warm-up
   call (the trace), the median of ``compiled_repeats`` calls of
   ``compiled_epochs`` epochs, divided by the epoch count (per-call overhead
   included, so it is an upper bound).
4. ``keras_fit_ms_per_epoch``: ``engine.fit_keras``, what ``training.engine:
   keras_fit`` runs (compile with the task's loss, ``fit``); after a warm-up
   of one epoch (the trace), one of ``keras_epochs``; the median interval
   between successive ``on_epoch_end`` callbacks (a whole epoch: batches,
   validation, callbacks).
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

import dataclasses  # noqa: E402

import numpy as np  # noqa: E402

from actzoo import engine  # noqa: E402
from actzoo.activations import normalise  # noqa: E402
from actzoo.datasets import from_spec  # noqa: E402
from actzoo.spec import TrainSpec  # noqa: E402

imported = time.perf_counter()

ACTIVATION = normalise("relu")
SEED = 1
HIDDEN_UNITS = [4]


def main(settings_path):
    settings = json.loads(Path(settings_path).read_text())
    engine.configure_threads()
    data = from_spec(settings["dataset"])
    training = settings["training"]
    # The lesson's model with the config's training settings, the compiled engine, shuffled.
    spec = TrainSpec.from_params(ACTIVATION, SEED, {"hidden_units": HIDDEN_UNITS}, {**training, "shuffle": True})
    spec = dataclasses.replace(spec, engine="compiled")
    out = {
        "import_seconds": imported - started,
        "train_rows": int(len(data["X_train"])),
        "val_rows": int(len(data["X_val"])),
        "epochs": spec.epochs,
        "batch_size": spec.batch_size,
        "threads": settings["threads"],
    }

    t = time.perf_counter()
    result = engine.train(data, spec)
    out["model_100_epochs_s"] = time.perf_counter() - t
    out["model_100_epochs_rows"] = int(len(result["rows"]))

    job = dataclasses.replace(
        spec, grid_resolution=settings["grid_resolution"], snapshot_epochs=training["snapshot_epochs"]
    )
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        engine.train(data, job, checkpoint_dir=Path(tmp) / "ckpt", checkpoint_every=training["checkpoint_every"])
        out["job_training_s"] = time.perf_counter() - t

    # Compiled engine: per-epoch cost once traced, without diagnostics.
    model, optimizer = engine.build(spec, data)
    loop = engine.CompiledLoop(model, optimizer, data, dataclasses.replace(spec, diagnostics=False))
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

    # Stock model.fit (engine.fit_keras, as training.engine: keras_fit runs it): per-epoch cost once traced.
    model, optimizer = engine.build(spec, data)
    t = time.perf_counter()
    engine.fit_keras(model, optimizer, data, dataclasses.replace(spec, epochs=1))
    out["keras_fit_first_call_s"] = time.perf_counter() - t
    stamps = []
    keras_fit = dataclasses.replace(spec, epochs=settings["keras_epochs"])
    engine.fit_keras(model, optimizer, data, keras_fit, on_epoch_end=lambda epoch: stamps.append(time.perf_counter()))
    intervals = np.diff(stamps)
    out["keras_fit_epoch_seconds"] = intervals.tolist()
    out["keras_fit_ms_per_epoch"] = float(np.median(intervals)) * 1000
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
