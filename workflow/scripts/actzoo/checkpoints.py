"""A training segment's saved state, and whether a later run may resume it.

The compiled loop stops at ``segment_ends``: every ``checkpoint_every``
epochs and at the end. At each stop before the end, ``Checkpoint`` saves the
weights, optimizer state, history, snapshots and diagnostics so far. A run
resumes a checkpoint only if its ``fingerprint`` matches: every field of the
run's TrainSpec and the data's arrays. No TensorFlow here.
"""

import dataclasses
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from actzoo.columns import HISTORY_COLUMNS


def segment_ends(epochs, checkpoint_every):
    """Epochs at which the driver stops the compiled loop: checkpoints and the end."""
    ends = {epochs}
    if checkpoint_every:
        ends |= set(range(checkpoint_every, epochs, checkpoint_every))
    return sorted(ends)


def settings_of(spec):
    """Every field of ``spec``, as JSON: dataclasses.asdict, not a list kept
    by hand, so a field added to TrainSpec is in the fingerprint at once."""
    return json.dumps(dataclasses.asdict(spec), sort_keys=True, default=str)


def fingerprint(spec, data):
    """Hash of everything a run's result depends on: its TrainSpec and the
    data (each array's name, dtype, shape and bytes). The boundary grid is
    made from the data and ``spec.grid_resolution``, so it is in it too."""
    digest = hashlib.sha256(settings_of(spec).encode())
    for key in sorted(data):
        array = np.ascontiguousarray(data[key])
        digest.update(f"\0{key}:{array.dtype.str}:{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


class Checkpoint:
    """Training state in ``directory``: weights, optimizer, history, snapshots, diagnostics.

    The state is written to a temporary file and renamed, so a kill never
    leaves a half-written checkpoint. It carries the ``fingerprint`` of the
    run's ``spec`` and ``data``, and the spec's settings: a checkpoint left by
    a killed run whose settings or data have changed since is ignored, and
    the log says which settings differ.
    """

    def __init__(self, directory, spec, data):
        self.directory = Path(directory)
        self.path = self.directory / "state.npz"
        self.fingerprint = fingerprint(spec, data)
        self.settings = settings_of(spec)

    def save(self, model, optimizer, rows, snapshots, diagnostics):
        self.directory.mkdir(parents=True, exist_ok=True)
        arrays = {f"w{i}": v.numpy() for i, v in enumerate(model.weights)}
        arrays |= {f"o{i}": v.numpy() for i, v in enumerate(optimizer.variables)}
        arrays["rows"] = np.asarray(rows, dtype=np.float32).reshape(-1, len(HISTORY_COLUMNS) - 1)
        arrays["diagnostics"] = np.asarray(diagnostics, dtype=np.float32)
        arrays["snapshot_epochs"] = np.array(sorted(snapshots), dtype=np.int64)
        arrays["snapshots"] = np.array([snapshots[e] for e in sorted(snapshots)], dtype=np.float32)
        arrays["fingerprint"] = np.array(self.fingerprint)
        arrays["settings"] = np.array(self.settings)
        tmp = self.directory / "state.tmp.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, self.path)

    def load(self, model, optimizer, log=print):
        """Restore into ``model``/``optimizer``; returns (rows, snapshots,
        diagnostics) or None."""
        if not self.path.exists():
            return None
        with np.load(self.path) as state:
            if "fingerprint" not in state.files or str(state["fingerprint"]) != self.fingerprint:
                saved = str(state["settings"]) if "settings" in state.files else None
                log(f"ignoring {self.path}: it was saved by a run with {self.difference(saved)}")
                return None
            for i, v in enumerate(model.weights):
                v.assign(state[f"w{i}"])
            for i, v in enumerate(optimizer.variables):
                v.assign(state[f"o{i}"])
            snapshots = dict(zip(state["snapshot_epochs"].tolist(), state["snapshots"]))
            return state["rows"], snapshots, state["diagnostics"]

    def difference(self, saved):
        """What differs between this run and the one that saved ``saved`` settings."""
        if saved is None:
            return "other data or settings (an older checkpoint format)"
        before, now = json.loads(saved), json.loads(self.settings)
        changed = sorted(key for key in before.keys() | now.keys() if before.get(key) != now.get(key))
        return f"other settings ({', '.join(changed)})" if changed else "other data"

    def remove(self):
        shutil.rmtree(self.directory, ignore_errors=True)
