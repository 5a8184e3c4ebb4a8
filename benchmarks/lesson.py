"""The lesson's way: one Python process, TensorFlow imported once, a loop of
``model.fit`` calls over datasets x activations x seeds.

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

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402, F401

from actzoo.activations import check_all  # noqa: E402
from actzoo.datasets import make_dataset  # noqa: E402
from actzoo.models import get_model  # noqa: E402

imported = time.perf_counter()


def main(config_path):
    config = json.loads(Path(config_path).read_text())
    training = config["training"]
    activations = check_all(config["activations"])
    fits = []
    for name, spec in config["datasets"].items():
        spec = {k: v for k, v in spec.items() if k != "model"}
        data = make_dataset(spec.pop("generator"), spec.pop("validation_fraction"), spec.pop("random_state"), **spec)
        hidden_units = {**config["model"], **config["datasets"][name].get("model", {})}["hidden_units"]
        for label, activation in activations.items():
            for seed in config["seeds"]:
                t = time.perf_counter()
                # The lesson: seed, get_model(act_function), compile, fit with validation data.
                keras.utils.set_random_seed(int(seed))
                model = get_model(activation, data["X_train"].shape[1], hidden_units, data["y_train"].shape[1])
                model.compile(
                    optimizer=keras.optimizers.get(
                        {"class_name": training["optimizer"], "config": {"learning_rate": training["learning_rate"]}}
                    ),
                    loss="binary_crossentropy",
                    metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
                )
                history = model.fit(
                    data["X_train"],
                    data["y_train"],
                    validation_data=(data["X_val"], data["y_val"]),
                    epochs=training["epochs"],
                    batch_size=training["batch_size"],
                    shuffle=training["shuffle"],
                    verbose=0,
                )
                fits.append(
                    {
                        "dataset": name,
                        "activation": label,
                        "seed": int(seed),
                        "seconds": time.perf_counter() - t,
                        "val_accuracy": float(history.history["val_accuracy"][-1]),
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
