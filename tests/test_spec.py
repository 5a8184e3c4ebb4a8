"""The training spec and the checkpoint fingerprint (issue 21, item 1): every
field of TrainSpec decides whether a checkpoint is resumed, a field added to
it does with no other change, and what only executes the run does not."""

import dataclasses

import numpy as np
import pytest
import yaml

from actzoo.activations import normalise
from actzoo.checkpoints import fingerprint
from actzoo.config import SCHEMA_PATH
from actzoo.spec import EXECUTION_ONLY, TrainSpec

BASE = TrainSpec(
    activation=normalise("tanh"), seed=3, hidden_units=[4], epochs=6, batch_size=16, optimizer="adam",
    learning_rate=0.01,
)  # fmt: skip
# A value other than BASE's for every field. A field added to TrainSpec needs
# one here: the test below fails for it until it has one.
CHANGED = {
    "activation": normalise("relu"),
    "seed": 4,
    "hidden_units": (5,),
    "epochs": 7,
    "batch_size": 17,
    "optimizer": "sgd",
    "learning_rate": 0.02,
    "initializer": "he_normal",
    "shuffle": False,
    "engine": "keras_fit",
    "diagnostics": False,
    "grid_resolution": 10,
    "snapshot_epochs": (1,),
    "explorer_frames": 3,
    "explorer_units": 8,
    "evaluate_test": True,
    "code": "an edited engine",
}
DATA = {
    "X_train": np.arange(8, dtype=np.float32).reshape(4, 2),
    "y_train": np.array([[0], [1], [0], [1]], dtype=np.float32),
    "X_val": np.ones((2, 2), dtype=np.float32),
    "y_val": np.array([[1], [0]], dtype=np.float32),
}


@pytest.mark.parametrize("name", [field.name for field in dataclasses.fields(TrainSpec)])
def test_every_field_changes_the_fingerprint(name):
    assert name in CHANGED, f"TrainSpec.{name} is new: give it a changed value in CHANGED"
    changed = dataclasses.replace(BASE, **{name: CHANGED[name]})
    assert getattr(changed, name) != getattr(BASE, name)
    assert fingerprint(changed, DATA) != fingerprint(BASE, DATA)


def test_a_field_added_to_the_spec_is_fingerprinted_with_no_other_change():
    """A subclass with one more field stands for a TrainSpec that gained it:
    checkpoints.py lists no field, so the new one is hashed as it is."""
    Extended = dataclasses.make_dataclass(
        "Extended", [("momentum", float, dataclasses.field(default=0.0))], bases=(TrainSpec,), frozen=True
    )
    settings = dataclasses.asdict(BASE)
    assert fingerprint(Extended(**settings, momentum=0.9), DATA) != fingerprint(Extended(**settings), DATA)


def test_the_data_is_fingerprinted():
    other = {**DATA, "y_val": DATA["y_val"][::-1].copy()}
    assert fingerprint(BASE, other) != fingerprint(BASE, DATA)
    assert fingerprint(BASE, dict(DATA)) == fingerprint(BASE, DATA)


def params(training, planar=True, **model):
    return dict(
        activation=normalise("relu"), seed=1, model={"hidden_units": [4], **model},
        training={"epochs": 10, "batch_size": 8, "optimizer": "adam", "learning_rate": 0.01,
                  "snapshot_epochs": [5, 1, 5], **training},
        planar=planar, grid_resolution=20, explorer_frames=2, explorer_units=16, code="c",
    )  # fmt: skip


def test_execution_only_settings_are_not_in_the_spec():
    """A job's threads and checkpoint interval change no result: the same spec, the same fingerprint."""
    one = TrainSpec.from_params(**params({"threads": 1, "checkpoint_every": 0}))
    other = TrainSpec.from_params(**params({"threads": 4, "checkpoint_every": 25}))
    assert one == other and fingerprint(one, DATA) == fingerprint(other, DATA)
    assert not set(EXECUTION_ONLY) & {field.name for field in dataclasses.fields(TrainSpec)}


def test_every_config_setting_is_a_field_or_execution_only():
    """A training or model key the config schema gains must be a TrainSpec
    field (so it is fingerprinted) or execution-only; from_params refuses
    any other key rather than ignore it."""
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    keys = set(schema["properties"]["training"]["properties"]) | set(schema["properties"]["model"]["properties"])
    assert keys - set(EXECUTION_ONLY) <= {field.name for field in dataclasses.fields(TrainSpec)}
    with pytest.raises(TypeError, match="no field for momentum"):
        TrainSpec.from_params(**params({"momentum": 0.9}))


def test_from_params_resolves_and_normalises():
    spec = TrainSpec.from_params(**params({}, initializer="matched"))
    assert spec.initializer == "he_normal", "matched, resolved for relu"
    assert spec.hidden_units == (4,) and spec.snapshot_epochs == (1, 5)
    assert spec.explorer_epochs == (0, 5, 10) and spec.grid_epochs == (0, 1, 5, 10)
    assert spec.explorer_units == 16
    flat = TrainSpec.from_params(**params({}, planar=False))
    assert (flat.grid_resolution, flat.snapshot_epochs, flat.explorer_frames, flat.grid_epochs) == (None, (), 0, ())
    assert flat.explorer_units == 0, "no grid, no unit pictures"
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.epochs = 20


def test_a_checkpoint_is_resumed_whatever_the_checkpoint_interval(circles, tmp_path, monkeypatch):
    """checkpoint_every is not in the fingerprint: a run killed after a
    checkpoint at epoch 4 (every 2) resumes with another interval (every 3),
    and ends byte-identical to a run that was never interrupted."""
    from actzoo import checkpoints, engine

    spec = dataclasses.replace(BASE, grid_resolution=8, snapshot_epochs=(1, 5))
    fresh = engine.train(circles, spec)
    with monkeypatch.context() as patch:  # keep the last checkpoint (epoch 4), like a kill after it
        patch.setattr(checkpoints.Checkpoint, "remove", lambda self: None)
        engine.train(circles, spec, checkpoint_dir=tmp_path / "ckpt", checkpoint_every=2)
    resumed = engine.train(circles, spec, checkpoint_dir=tmp_path / "ckpt", checkpoint_every=3)
    assert resumed["resumed_from_epoch"] == 4
    assert resumed["final_weights_sha256"] == fresh["final_weights_sha256"]
    assert np.array_equal(resumed["rows"], fresh["rows"])
    assert np.array_equal(resumed["diagnostics"], fresh["diagnostics"])
    assert sorted(resumed["snapshots"]) == sorted(fresh["snapshots"]) == [1, 5]
    for epoch, grid in fresh["snapshots"].items():
        assert np.array_equal(resumed["snapshots"][epoch], grid), epoch
        assert np.array_equal(resumed["snapshot_weights"][epoch], fresh["snapshot_weights"][epoch]), epoch
