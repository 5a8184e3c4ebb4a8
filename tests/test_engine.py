"""The compiled training loop against stock model.fit, and seeding."""

import numpy as np
import pytest

from actzoo import checkpoints, engine
from actzoo.activations import normalise
from actzoo.spec import TrainSpec


def train(data, activation, engine_name, checkpoint_dir=None, checkpoint_every=0, **overrides):
    settings = dict(hidden_units=[4], epochs=8, batch_size=25, optimizer="adam", learning_rate=0.01, shuffle=False)
    spec = TrainSpec(activation=normalise(activation), seed=3, engine=engine_name, **{**settings, **overrides})
    return engine.train(data, spec, checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every)


@pytest.mark.parametrize("dataset", ["circles", "sensors", "blobs", "iris"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_compiled_loop_matches_model_fit(request, dataset, activation):
    """Binary, multi-label and multiclass data (softmax and sparse categorical
    cross-entropy). Batch 25 does not divide the 161, 105, 161 or 105 training
    rows: the short last batch counts."""
    data = request.getfixturevalue(dataset)
    assert len(data["X_train"]) % 25 != 0
    compiled = train(data, activation, "compiled")
    fitted = train(data, activation, "keras_fit")
    assert compiled["initial_weights_sha256"] == fitted["initial_weights_sha256"]
    assert compiled["rows"].shape == fitted["rows"].shape == (8, 4)
    np.testing.assert_allclose(compiled["rows"], fitted["rows"], atol=1e-5, rtol=0)


def test_multilabel_accuracy_is_binary_accuracy(sensors):
    """Keras 3's 'accuracy' would pick categorical accuracy for 3 outputs."""
    result = train(sensors, "relu", "compiled")
    assert ((result["rows"][:, [1, 3]] >= 0) & (result["rows"][:, [1, 3]] <= 1)).all()
    model = result["model"]
    p = model(sensors["X_val"]).numpy()
    expected = ((p > 0.5) == (sensors["y_val"] > 0.5)).mean()
    assert result["rows"][-1, 3] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("engine_name", ["compiled", "keras_fit"])
def test_multiclass_is_a_softmax_with_argmax_accuracy(blobs, engine_name):
    result = train(blobs, "relu", engine_name, epochs=40)
    model = result["model"]
    assert model.layers[-1].units == 3 and model.layers[-1].activation.__name__ == "softmax"
    p = model(blobs["X_val"]).numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-5)
    expected = (p.argmax(axis=1) == blobs["y_val"][:, 0]).mean()
    assert result["rows"][-1, 3] == pytest.approx(expected, abs=1e-6)
    assert result["rows"][-1, 3] > 0.8, "three separate blobs are learnt"


def test_same_initial_weights_for_every_activation(circles):
    hashes = {a: train(circles, a, "compiled", epochs=1)["initial_weights_sha256"] for a in ("sigmoid", "elu", "mish")}
    hashes["leaky"] = train(circles, {"name": "leaky_relu", "negative_slope": 0.1}, "compiled", epochs=1)[
        "initial_weights_sha256"
    ]
    assert len(set(hashes.values())) == 1


def test_shuffling_is_seeded_and_changes_the_trajectory(circles):
    first = train(circles, "tanh", "compiled", shuffle=True)
    again = train(circles, "tanh", "compiled", shuffle=True)
    unshuffled = train(circles, "tanh", "compiled", shuffle=False)
    assert np.array_equal(first["rows"], again["rows"])
    assert first["final_weights_sha256"] == again["final_weights_sha256"]
    assert not np.array_equal(first["rows"], unshuffled["rows"])


def history_is_finite_until(rows):
    """The number of leading history rows whose values are all finite."""
    finite = [bool(np.isfinite(row).all()) for row in rows]
    return finite.index(False) if False in finite else len(finite)


@pytest.mark.parametrize("engine_name", ["compiled", "keras_fit"])
def test_divergence_stops_early_and_is_recorded(circles, engine_name):
    result = train(circles, "linear", engine_name, optimizer="sgd", learning_rate=100.0, epochs=50, hidden_units=[64])
    rows = result["rows"]
    # With sgd at learning rate 100 this model's loss is finite in epoch 1 and
    # NaN from epoch 2 (the first row is ~4e16): training stops right there.
    assert history_is_finite_until(rows) == 1
    assert len(rows) == 2 and np.isnan(rows[1, 0])
    assert (result["diverged"], result["diverged_epoch"]) == (True, 2)


@pytest.mark.parametrize("checkpoint_every", [0, 1])
def test_divergence_in_the_last_epoch_of_a_segment_stops_training(circles, tmp_path, monkeypatch, checkpoint_every):
    """The loop stops at checkpoint epochs and snapshots inside; a run that
    first goes non-finite at either must not snapshot, checkpoint or train on."""
    saved = []
    original_save = checkpoints.Checkpoint.save

    def spy(self, model, optimizer, rows, *state):
        saved.append(np.array(rows))
        original_save(self, model, optimizer, rows, *state)

    monkeypatch.setattr(checkpoints.Checkpoint, "save", spy)
    result = train(
        circles, "linear", "compiled", optimizer="sgd", learning_rate=1e4, epochs=5, hidden_units=[64],
        grid_resolution=10, snapshot_epochs=[1],
        checkpoint_dir=tmp_path / "ckpt", checkpoint_every=checkpoint_every,
    )  # fmt: skip
    rows = result["rows"]
    assert len(rows) == 1 and not np.isfinite(rows[0]).all(), "the history ends at the first non-finite row"
    assert (result["diverged"], result["diverged_epoch"]) == (True, 1)
    assert result["snapshots"] == {}, "no snapshot of the non-finite model"
    assert saved == [], "no checkpoint of the non-finite model"


def test_snapshots_skip_the_final_epoch_which_the_caller_grids(circles):
    result = train(circles, "tanh", "compiled", epochs=4, grid_resolution=10, snapshot_epochs=[1, 4, 9])
    assert sorted(result["snapshots"]) == [1]
    assert result["snapshots"][1].shape == (10, 10)


@pytest.mark.parametrize("epochs", [1, 3, 10, 25, 100])
@pytest.mark.parametrize("every", [0, 1, 4, 25, 200])
def test_segments_end_at_every_checkpoint_and_at_the_last_epoch(epochs, every):
    """What resuming relies on: training stops (and saves) at each multiple of
    ``every`` below ``epochs`` and at ``epochs``; with 0, once, at the end."""
    ends = checkpoints.segment_ends(epochs, every)
    assert ends[-1] == epochs and ends == sorted(set(ends)) and ends[0] >= 1
    saves = set(range(every, epochs, every)) if every else set()
    assert set(ends) == saves | {epochs}


def test_parameterised_and_custom_activations_save_and_load_safely(tmp_path, circles, monkeypatch):
    import keras

    (tmp_path / "myacts.py").write_text("import keras\n\ndef cube(x, scale=1.0):\n    return scale * x ** 3\n")
    monkeypatch.chdir(tmp_path)
    for spec in ({"name": "leaky_relu", "negative_slope": 0.1}, {"name": "myacts:cube", "scale": 0.5}):
        result = train(circles, spec, "compiled", epochs=2)
        path = tmp_path / "model.keras"
        result["model"].save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        np.testing.assert_array_equal(loaded(circles["X_val"]).numpy(), result["model"](circles["X_val"]).numpy())


def test_every_optimizer_the_schema_allows_exists_in_keras():
    from pathlib import Path

    import yaml

    from actzoo.models import get_optimizer

    schema = yaml.safe_load((Path(__file__).parents[1] / "workflow" / "schemas" / "config.schema.yaml").read_text())
    # training.optimizer and a model variant's training.optimizer share this list.
    assert schema["properties"]["training"]["properties"]["optimizer"]["$ref"] == "#/$defs/optimizer"
    names = schema["$defs"]["optimizer"]["enum"]
    for name in names:
        optimizer = get_optimizer(name, 0.01)
        assert float(optimizer.learning_rate) == pytest.approx(0.01), name
