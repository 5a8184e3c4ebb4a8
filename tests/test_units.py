"""The explorer's network view, in-process: what each hidden unit computes
over the plane at the explorer's frames (actzoo.units), and the weights the
runs record for it (actzoo.engine.hidden_weights)."""

import dataclasses

import numpy as np
import pytest

from actzoo import engine, runs, units
from actzoo.activations import normalise
from actzoo.spec import TrainSpec

SPEC = TrainSpec(
    activation=normalise("relu"), seed=2, hidden_units=(4, 3), epochs=12, batch_size=32, optimizer="adam",
    learning_rate=0.05, grid_resolution=30, explorer_frames=4, explorer_units=64,
)  # fmt: skip


def boundary(data, spec, tmp_path, name="boundary.npz"):
    """Train ``spec`` and write its boundary.npz; returns (result, npz contents)."""
    result = engine.train(data, spec)
    runs.write_boundary(tmp_path / name, spec, result, data)
    with np.load(tmp_path / name) as npz:
        return result, {key: npz[key] for key in npz.files}


def test_pictured_units_every_layer_of_a_small_network_else_the_first():
    assert units.pictured_units([4], 64) == [4]
    assert units.pictured_units([32, 32], 64) == [32, 32]
    assert units.pictured_units([8, 8, 100], 64) == [8, 8], "layers from the first while they fit"
    assert units.pictured_units([40, 40], 64) == [40], "at least the first layer"
    assert units.pictured_units([100, 4], 64) == [64], "its first units when it alone is too big"
    assert units.pictured_units([4], 0) == [], "0 turns the view off"


def test_hidden_weights_are_each_layers_kernel_then_bias(circles):
    result = engine.train(circles, dataclasses.replace(SPEC, epochs=2))
    model = result["model"]
    flat = engine.hidden_weights(engine.hidden_layers(model)).numpy()
    layers = units.layer_weights(flat, [4, 3], 2)
    for (kernel, bias), dense in zip(layers, model.layers[:2]):
        assert np.array_equal(kernel, dense.kernel.numpy()) and np.array_equal(bias, dense.bias.numpy())
    assert flat.size == 2 * 4 + 4 + 4 * 3 + 3


def hidden_outputs(model, x):
    """Each hidden layer's outputs on ``x``, by calling the model's own layers
    (a Dense with its activation, or a Dense and its activation layer)."""
    outputs = []
    for layer in model.layers[:-1]:
        x = layer(x)
        if layer.name.startswith("dense") and layer.activation.__name__ == "linear":
            continue  # its activation layer follows
        outputs.append(x.numpy())
    return outputs


@pytest.mark.parametrize("activation", ["relu", "tanh", {"name": "leaky_relu", "negative_slope": 0.1}])
def test_unit_pictures_are_the_models_own_hidden_outputs(circles, tmp_path, activation):
    """At the last frame, each pictured unit's shades decode (with its layer's
    scale) to the trained model's hidden outputs on the thinned grid, within
    half a shade step; the frame's weights are the model's."""
    spec = dataclasses.replace(SPEC, activation=normalise(activation))
    result, npz = boundary(circles, spec, tmp_path)
    model = result["model"]
    assert npz["explorer_epochs"].tolist() == [0, 3, 6, 9, 12]
    assert npz["explorer_unit_layers"].tolist() == [4, 3] and npz["explorer_hidden_units"].tolist() == [4, 3]
    assert npz["explorer_unit_shades"].shape == (5, 7, 30, 30) and npz["explorer_unit_shades"].dtype == np.uint8
    assert np.array_equal(npz["explorer_weights"][-1], engine.hidden_weights(engine.hidden_layers(model)).numpy())
    xx, yy = np.meshgrid(npz["explorer_unit_x"], npz["explorer_unit_y"])
    assert np.array_equal(xx, npz["xx"]) and np.array_equal(yy, npz["yy"]), "30 a side: not thinned"
    x = np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)
    first = 0
    for layer_outputs, (low, high) in zip(hidden_outputs(model, x), npz["explorer_unit_scales"]):
        x = layer_outputs
        shades = npz["explorer_unit_shades"][-1, first : first + x.shape[1]]
        decoded = low + shades.reshape(x.shape[1], -1).T / 255 * (high - low)
        np.testing.assert_allclose(decoded, x, atol=0.5 / 255 * (high - low) + 1e-6)
        first += x.shape[1]
    around_zero = activation != "relu"
    for low, high in npz["explorer_unit_scales"]:
        assert (low == -high) if around_zero else (low == 0 and high > 0), "tanh-like around 0, ReLU from 0"


def test_a_large_grid_is_thinned_to_at_most_50_a_side(circles, tmp_path):
    _, npz = boundary(circles, dataclasses.replace(SPEC, grid_resolution=101, epochs=3, explorer_frames=1), tmp_path)
    assert npz["explorer_unit_x"].tolist() == npz["xx"][0, ::3].tolist()
    assert npz["explorer_unit_shades"].shape[-2:] == (34, 34)


def test_dead_units_are_the_diagnostics_dead_units(circles, tmp_path):
    """A large learning rate kills ReLU units: the fraction of units marked
    dead per frame and layer is the diagnostics' dead_units at that epoch."""
    spec = dataclasses.replace(SPEC, learning_rate=0.5, hidden_units=(8, 6), epochs=20, explorer_frames=5)
    result, npz = boundary(circles, spec, tmp_path)
    dead, epochs = npz["explorer_unit_dead"], npz["explorer_epochs"]
    assert dead.any(), "the setting kills units (otherwise this test shows nothing)"
    diagnosed = result["diagnostics"]  # (epochs 0..n, layers, measures): dead_units is the last
    for frame, epoch in enumerate(epochs):
        fractions = [dead[frame, :8].mean(), dead[frame, 8:].mean()]
        np.testing.assert_allclose(fractions, diagnosed[epoch, :, -1], atol=1e-6, err_msg=f"epoch {epoch}")
    # A dead unit's picture is flat: one shade over the whole plane.
    frame, unit = np.argwhere(dead)[-1]
    if unit < 8:  # the first layer sees the plane directly
        assert np.ptp(npz["explorer_unit_shades"][frame, unit]) <= 1


def test_the_network_view_changes_no_training(circles, tmp_path):
    with_view = engine.train(circles, SPEC)
    without = engine.train(circles, dataclasses.replace(SPEC, explorer_units=0, grid_resolution=None))
    assert np.array_equal(with_view["rows"], without["rows"])
    assert with_view["final_weights_sha256"] == without["final_weights_sha256"]
    off = dataclasses.replace(SPEC, explorer_units=0)
    _, npz = boundary(circles, off, tmp_path)
    assert not any(key.startswith("explorer_unit_") for key in npz), "explorer_units 0: no pictures"
    assert npz["explorer_weights"].shape == (5, 27), "the weights are recorded all the same (a few numbers)"


def test_keras_fit_records_the_same_weights(circles):
    spec = dataclasses.replace(SPEC, shuffle=False, epochs=6, explorer_frames=2)
    compiled = engine.train(circles, spec)
    fitted = engine.train(circles, dataclasses.replace(spec, engine="keras_fit", diagnostics=False))
    assert sorted(compiled["snapshot_weights"]) == sorted(fitted["snapshot_weights"]) == [0, 3]
    for epoch, weights in compiled["snapshot_weights"].items():
        np.testing.assert_allclose(weights, fitted["snapshot_weights"][epoch], atol=1e-5)


def test_multiclass_runs_picture_their_units(blobs, tmp_path):
    _, npz = boundary(blobs, dataclasses.replace(SPEC, hidden_units=(5,), epochs=4, explorer_frames=2), tmp_path)
    assert npz["explorer_probabilities"].shape == (3, 30, 30, 3)
    assert npz["explorer_unit_shades"].shape == (3, 5, 30, 30)
