"""What the explorer's grids cost a training run: the default config's circles
runs trained with and without ``figures.explorer_frames``, in one process.

Run by ``benchmarks/run.py``. Argument: a JSON file with ``dataset`` (the
resolved circles spec), ``training`` (the resolved training section),
``grid_resolution``, ``explorer_frames``, ``activations`` and ``repeats``.
Each (activation, repeat) trains both ways back to back, alternating which
goes first, through ``actzoo.runs.train_and_save`` (outputs written, as in a
job). Prints one JSON line: the seconds of every run and the ratio of medians.
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

from actzoo.activations import normalise  # noqa: E402
from actzoo.datasets import write_dataset  # noqa: E402
from actzoo.runs import train_and_save  # noqa: E402


def main(settings_path):
    settings = json.loads(Path(settings_path).read_text())
    work = Path(tempfile.mkdtemp(prefix="actzoo-snapshots-"))
    write_dataset(settings["dataset"], work / "data.npz")
    seconds = {"without": [], "with": []}
    for repeat in range(settings["repeats"]):
        for activation in settings["activations"]:
            order = ["without", "with"] if repeat % 2 == 0 else ["with", "without"]
            for way in order:
                keys = ("history", "metrics", "model", "boundary", "diagnostics")
                outputs = {k: str(work / f"{way}.{k}") for k in keys}
                outputs["model"] += ".keras"
                outputs["boundary"] += ".npz"
                started = time.perf_counter()
                train_and_save(
                    str(work / "data.npz"), outputs, dataset="circles", activation=normalise(activation),
                    seed=repeat + 1, model={"hidden_units": [4]}, training=settings["training"], planar=True,
                    grid_resolution=settings["grid_resolution"], checkpoint_dir=str(work / f"{way}.ckpt"),
                    code="benchmark", log=lambda message: None,
                    explorer_frames=settings["explorer_frames"] if way == "with" else None,
                )  # fmt: skip
                seconds[way].append(time.perf_counter() - started)
    ratio = statistics.median(seconds["with"]) / statistics.median(seconds["without"])
    print(json.dumps({"seconds": seconds, "ratio": ratio}))


if __name__ == "__main__":
    main(sys.argv[1])
