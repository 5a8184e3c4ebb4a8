"""The limit proxy of a training sweep: one of ``count`` processes that share its runs.

Run by ``benchmarks/run.py``, ``count`` of these at once (one per core), and
timed from the start of the first to the end of the last. Each process imports
TensorFlow once, then trains its share of the sweep's runs (every
``count``-th run, starting at ``index``), every run its own Keras model
trained by actzoo's own ``engine.train`` with no boundary grid, no snapshots
and no checkpoints, so all epochs are one compiled segment (one
``tf.function`` call). Nothing is written. This is what a sweep would cost if
a run cost only its training.

Arguments: a JSON file with ``dataset`` (the resolved data set spec),
``training`` (the resolved training section), ``model`` (the resolved model),
``activations`` (config entries) and ``seeds``; then ``index`` and
``count``. Prints one JSON line.
"""

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

started = time.perf_counter()
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from actzoo import engine  # noqa: E402 -- imports TensorFlow and Keras
from actzoo.activations import check_all  # noqa: E402
from actzoo.checkpoints import segment_ends  # noqa: E402
from actzoo.datasets import from_spec  # noqa: E402
from actzoo.spec import TrainSpec  # noqa: E402

imported = time.perf_counter()


def share(activations, seeds, index, count):
    """This process's runs: every ``count``-th (label, activation, seed), from ``index``."""
    runs = [(label, spec, int(seed)) for label, spec in check_all(activations).items() for seed in seeds]
    return runs[index::count]


def main(settings_path, index, count):
    settings = json.loads(Path(settings_path).read_text())
    training = settings["training"]
    epochs = training["epochs"]
    segments = segment_ends(epochs, 0)
    if segments != [epochs]:
        sys.exit(f"proxy.py: expected one compiled segment of {epochs} epochs, segment_ends says {segments}")
    engine.configure_threads()
    data = from_spec(settings["dataset"])
    runs = []
    for label, activation, seed in share(settings["activations"], settings["seeds"], index, count):
        t = time.perf_counter()
        # A job's spec without the grid (planar=False), on the compiled engine; no checkpoints.
        spec = TrainSpec.from_params(activation, seed, settings["model"], training)
        result = engine.train(data, dataclasses.replace(spec, engine="compiled"))
        runs.append(
            {
                "activation": label,
                "seed": seed,
                "seconds": time.perf_counter() - t,
                "epochs": int(len(result["rows"])),
                "final_weights_sha256": result["final_weights_sha256"],
            }
        )
    print(
        json.dumps(
            {
                "index": index,
                "count": count,
                "import_seconds": imported - started,
                "loop_seconds": time.perf_counter() - imported,
                "segments": segments,
                "runs": runs,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
