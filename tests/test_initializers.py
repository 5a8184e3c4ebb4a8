"""model.initializer (issue 20, item 5): a Keras name or ``matched``; for one
seed every initializer of the VarianceScaling truncated-normal family draws
the same numbers, scaled."""

import json

import keras
import numpy as np
import pytest
import yaml

from actzoo import checkpoints, engine, initializers
from actzoo.activations import normalise
from actzoo.config import SCHEMA_PATH
from actzoo.models import get_model
from actzoo.spec import TrainSpec

FAN_IN, UNITS = 5, [8, 3]


def kernels(activation, initializer, seed=3):
    """The model's kernels, hidden first, as a run seeds and builds them."""
    spec = TrainSpec.from_params(
        activation=normalise(activation),
        seed=seed,
        model={"hidden_units": UNITS, "initializer": initializer},
        training={"epochs": 1, "batch_size": 1, "optimizer": "adam", "learning_rate": 0.01},
    )
    shapes = {"X_train": np.zeros((0, FAN_IN), np.float32), "y_train": np.zeros((0, 1), np.float32)}
    model, _ = engine.build(spec, shapes)
    return [layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")]


def std(initializer, fan_in, fan_out):
    """The standard deviation Keras' VarianceScaling gives each (He et al.
    2015, LeCun et al. 1998, Glorot & Bengio 2010)."""
    return {
        "he_normal": np.sqrt(2 / fan_in),
        "lecun_normal": np.sqrt(1 / fan_in),
        "glorot_normal": np.sqrt(2 / (fan_in + fan_out)),
    }[initializer]


def assert_scaled(kernel, reference, ratio):
    """``kernel`` is ``reference`` times the one constant ``ratio``."""
    np.testing.assert_allclose(kernel, reference * ratio, rtol=1e-5, atol=1e-7)


def test_the_listed_names_are_keras_initializers():
    """The literal list (kept so that config checks never import TensorFlow)
    is in Keras and builds a hidden kernel; the schema's enum is the list and matched."""
    for name in initializers.KERAS_INITIALIZERS:
        assert isinstance(keras.initializers.get(name), keras.initializers.Initializer), name
        get_model(normalise("relu"), FAN_IN, UNITS, 1, kernel_initializer=name)
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    assert schema["$defs"]["initializer"]["enum"] == ["matched", *initializers.KERAS_INITIALIZERS]


def test_he_normal_is_glorot_normals_draw_scaled():
    """One seed, one draw: each hidden kernel under he_normal is the one under
    glorot_normal times sqrt(2/fan_in) / sqrt(2/(fan_in+fan_out)); the output
    layer keeps Keras' default and its very weights."""
    he, glorot = kernels("relu", "he_normal"), kernels("relu", "glorot_normal")
    fans = list(zip([FAN_IN, *UNITS[:-1]], UNITS))
    for layer, (fan_in, fan_out) in enumerate(fans):
        ratio = std("he_normal", fan_in, fan_out) / std("glorot_normal", fan_in, fan_out)
        assert_scaled(he[layer], glorot[layer], ratio)
        assert not np.allclose(ratio, 1)
    np.testing.assert_array_equal(he[-1], glorot[-1])


def test_matched_gives_each_activation_its_scale_of_the_same_draw():
    """relu (He), sigmoid (Glorot) and selu (LeCun) under matched differ only
    by the scale; another seed is another draw."""
    relu, sigmoid, selu = (kernels(a, "matched") for a in ("relu", "sigmoid", "selu"))
    fan_in, fan_out = FAN_IN, UNITS[0]
    assert_scaled(relu[0], sigmoid[0], std("he_normal", fan_in, fan_out) / std("glorot_normal", fan_in, fan_out))
    assert_scaled(selu[0], sigmoid[0], std("lecun_normal", fan_in, fan_out) / std("glorot_normal", fan_in, fan_out))
    np.testing.assert_array_equal(kernels("sigmoid", "glorot_normal")[0], sigmoid[0])
    assert not np.allclose(kernels("sigmoid", "matched", seed=4)[0], sigmoid[0])


@pytest.mark.parametrize(
    "activation, expected",
    [
        ("relu", "he_normal"),
        ("leaky_relu", "he_normal"),
        ("elu", "he_normal"),
        ("gelu", "he_normal"),
        ("silu", "he_normal"),
        ("swish", "he_normal"),
        ("relu6", "he_normal"),
        ({"name": "leaky_relu", "negative_slope": 0.1}, "he_normal"),
        ("selu", "lecun_normal"),
        ("sigmoid", "glorot_normal"),
        ("tanh", "glorot_normal"),
        ("softsign", "glorot_normal"),
        ("custom_acts:scaled_tanh", "glorot_normal"),
    ],
)
def test_the_matched_rule(activation, expected):
    assert initializers.resolve("matched", normalise(activation)) == expected


def test_no_initializer_is_keras_default():
    """No key: glorot_uniform, the weights Keras' Dense draws by default."""
    assert initializers.resolve(None, normalise("relu")) == "glorot_uniform"
    keras.utils.set_random_seed(3)
    reference = keras.Sequential([keras.Input((FAN_IN,)), *(keras.layers.Dense(u, "relu") for u in UNITS),
                                  keras.layers.Dense(1, "sigmoid")])  # fmt: skip
    keras.utils.set_random_seed(3)
    default = get_model(normalise("relu"), FAN_IN, UNITS, 1)
    for mine, theirs in zip(default.weights, reference.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def run(circles, tmp_path, monkeypatch, model, activation="relu"):
    """train_and_save on the circles fixture; returns metrics.json."""
    from actzoo.runs import train_and_save

    monkeypatch.setattr(engine, "configure_threads", lambda: None)  # TensorFlow runs already
    data_path = tmp_path / "circles.npz"
    np.savez(data_path, **circles)
    run_dir = tmp_path / json.dumps(model.get("initializer"))
    run_dir.mkdir()
    outputs = {key: str(run_dir / name) for key, name in [
        ("history", "history.csv"), ("metrics", "metrics.json"), ("model", "model.keras"),
        ("boundary", "boundary.npz"), ("diagnostics", "diagnostics.csv"),
    ]}  # fmt: skip
    training = {"engine": "compiled", "epochs": 2, "batch_size": 25, "optimizer": "adam", "learning_rate": 0.01,
                "shuffle": True, "checkpoint_every": 0, "snapshot_epochs": [], "diagnostics": False}  # fmt: skip
    train_and_save(data_path, outputs, dataset="circles", activation=normalise(activation), seed=3, model=model,
                   training=training, checkpoint_dir=run_dir / ".ckpt", code="test", log=lambda message: None)  # fmt: skip
    return json.loads((run_dir / "metrics.json").read_text())


def test_metrics_record_the_initializer_used(circles, tmp_path, monkeypatch):
    default = run(circles, tmp_path, monkeypatch, {"hidden_units": [4]})
    matched = run(circles, tmp_path, monkeypatch, {"hidden_units": [4], "initializer": "matched"})
    assert default["initializer"] == "glorot_uniform" and matched["initializer"] == "he_normal"
    assert matched["hyperparameters"]["model"]["initializer"] == "matched", "the config's, resolved above"
    assert matched["initial_weights_sha256"] != default["initial_weights_sha256"]


def test_a_checkpoint_of_another_initializer_is_not_resumed(circles, tmp_path, monkeypatch):
    """The initializer is in the checkpoint's fingerprint."""
    settings = {"hidden_units": [4], "epochs": 4, "batch_size": 25, "optimizer": "adam", "learning_rate": 0.01}
    checkpoint = {"checkpoint_dir": tmp_path / "ckpt", "checkpoint_every": 2}
    with monkeypatch.context() as patch:  # keep the checkpoint, as a kill after epoch 2 would
        patch.setattr(checkpoints.Checkpoint, "remove", lambda self: None)
        engine.train(circles, TrainSpec(normalise("relu"), 3, initializer="he_normal", **settings), **checkpoint)
    logs = []
    other = TrainSpec(normalise("relu"), 3, initializer="glorot_normal", **settings)
    other = engine.train(circles, other, log=logs.append, **checkpoint)
    assert other["resumed_from_epoch"] == 0 and any("ignoring" in line for line in logs), logs
