"""The lesson's way: one Python process, TensorFlow imported once, a loop of
``model.fit`` calls over datasets x activations x seeds, each model built and
fitted as ``training.engine: keras_fit`` does (``engine.build``,
``engine.fit_keras``: the task's loss and accuracy).

Run by ``benchmarks/run.py`` as a subprocess that it times end to end
(interpreter start and the TensorFlow import included). Argument: a JSON file
holding the resolved config (schema defaults filled in). Prints one JSON line
with the in-process timings.
"""

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
from actzoo.datasets import from_spec  # noqa: E402
from actzoo.spec import TrainSpec  # noqa: E402

imported = time.perf_counter()


def main(config_path):
    config = json.loads(Path(config_path).read_text())
    activations = check_all(config["activations"])
    fits = []
    for name, spec in config["datasets"].items():
        data = from_spec(spec)
        model_settings = {**config["model"], **spec.get("model", {})}
        for label, activation in activations.items():
            for seed in config["seeds"]:
                t = time.perf_counter()
                # The lesson: seed, get_model(act_function), compile, fit with validation data.
                run = TrainSpec.from_params(activation, int(seed), model_settings, config["training"])
                model, optimizer = engine.build(run, data)
                rows = engine.fit_keras(model, optimizer, data, run)
                fits.append(
                    {
                        "dataset": name,
                        "activation": label,
                        "seed": int(seed),
                        "seconds": time.perf_counter() - t,
                        "val_accuracy": float(rows[-1, 3]),
                    }
                )
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "import_seconds": imported - started,
                "loop_seconds": done - imported,
                "models": len(fits),
                "fits": fits,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1])
