"""What the explorer costs a training run: the default config's circles runs
trained three ways in one process: ``without`` the explorer's grids, ``with``
them (``figures.explorer_frames``) and ``with_units``, the grids and the
network view's unit pictures (``figures.explorer_units``).

Run by ``benchmarks/run.py``. Argument: a JSON file with ``dataset`` (the
resolved circles spec), ``training`` (the resolved training section),
``grid_resolution``, ``explorer_frames``, ``explorer_units``, ``activations``
and ``repeats``. Each (activation, repeat) trains the three ways back to
back, rotating which goes first, through ``actzoo.runs.train_and_save``
(outputs written, as in a job). Prints one JSON line: the seconds of every
run, ``ratio`` (grids: median with / without), ``units_ratio`` (unit
pictures: median with_units / with) and ``unit_pictures_share``: the median
over the with_units runs of the time spent in ``actzoo.units.unit_pictures``
over the rest of the run. Run to run, a training's time varies by more than
10% here, so the ratios of medians cannot resolve a few percent; the share is
timed inside each run.
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

from actzoo import units  # noqa: E402
from actzoo.activations import normalise  # noqa: E402
from actzoo.datasets import write_dataset  # noqa: E402
from actzoo.runs import train_and_save  # noqa: E402


def timed(function, seconds):
    """``function``, appending the seconds of each call to ``seconds``."""

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    return wrapper


def main(settings_path):
    settings = json.loads(Path(settings_path).read_text())
    picture_seconds = []
    # actzoo.runs looks it up in the module at each call: the wrapper is seen.
    units.unit_pictures = timed(units.unit_pictures, picture_seconds)
    shares = []
    work = Path(tempfile.mkdtemp(prefix="actzoo-snapshots-"))
    write_dataset(settings["dataset"], work / "data.npz")
    ways = ["without", "with", "with_units"]
    seconds = {way: [] for way in ways}
    turn = 0
    for repeat in range(settings["repeats"]):
        for activation in settings["activations"]:
            order, turn = ways[turn % 3 :] + ways[: turn % 3], turn + 1
            for way in order:
                keys = ("history", "metrics", "model", "boundary", "diagnostics")
                outputs = {k: str(work / f"{way}.{k}") for k in keys}
                outputs["model"] += ".keras"
                outputs["boundary"] += ".npz"
                started, pictured = time.perf_counter(), len(picture_seconds)
                train_and_save(
                    str(work / "data.npz"), outputs, dataset="circles", activation=normalise(activation),
                    seed=repeat + 1, model={"hidden_units": [4]}, training=settings["training"], planar=True,
                    grid_resolution=settings["grid_resolution"], checkpoint_dir=str(work / f"{way}.ckpt"),
                    code="benchmark", log=lambda message: None,
                    explorer_frames=settings["explorer_frames"] if way != "without" else None,
                    explorer_units=settings["explorer_units"] if way == "with_units" else None,
                )  # fmt: skip
                seconds[way].append(time.perf_counter() - started)
                if way == "with_units":
                    picturing = sum(picture_seconds[pictured:])
                    shares.append(picturing / (seconds[way][-1] - picturing))
    median = {way: statistics.median(seconds[way]) for way in ways}
    ratios = {"ratio": median["with"] / median["without"], "units_ratio": median["with_units"] / median["with"]}
    ratios["unit_pictures_share"] = statistics.median(shares)
    print(json.dumps({"seconds": seconds, **ratios}))


if __name__ == "__main__":
    main(sys.argv[1])
