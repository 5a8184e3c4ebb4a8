"""Diagnostics recorded during training: hand-checkable cases, then the
guarantees (same trajectory, resume, divergence), the tables and the figure."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from actzoo import checkpoints, diagnostics, engine
from actzoo.activations import normalise
from actzoo.columns import DIAGNOSTICS_COLUMNS
from actzoo.runs import diagnostics_table
from actzoo.spec import TrainSpec

GRAD_NORM, ACT_MEAN, ACT_STD, FLAT, DEAD = range(5)


def spec_of(activation, **overrides):
    settings = dict(hidden_units=[4], epochs=4, batch_size=25, optimizer="adam", learning_rate=0.01)
    return TrainSpec(activation=normalise(activation), seed=3, **{**settings, **overrides})


def loop_for(
    data, activation, hidden_units=(3,), batch_size=25, optimizer="adam", learning_rate=0.01, bias=None, scale=None
):
    """A diagnosing CompiledLoop whose hidden biases are set to ``bias`` and
    kernels multiplied by ``scale`` before anything runs."""
    spec = spec_of(activation, hidden_units=hidden_units, batch_size=batch_size, optimizer=optimizer,
                   learning_rate=learning_rate)  # fmt: skip
    model, opt = engine.build(spec, data)
    for dense, _ in diagnostics.hidden_layers(model):
        if bias is not None:
            dense.bias.assign(np.full(dense.bias.shape, bias, dtype=np.float32))
        if scale is not None:
            dense.kernel.assign(dense.kernel.numpy() * scale)
    return engine.CompiledLoop(model, opt, data, spec)


def train(data, activation, checkpoint_dir=None, checkpoint_every=0, log=print, **overrides):
    spec = spec_of(activation, **overrides)
    return engine.train(data, spec, checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, log=log)


# -- hand-checkable cases ---------------------------------------------------------


def test_relu_layer_with_a_large_negative_bias_is_dead_and_stays_dead(circles):
    """Inputs are within [-1.5, 1.5] and Glorot kernels small: every
    pre-activation is below -90, so ReLU outputs 0 with derivative 0."""
    loop = loop_for(circles, "relu", bias=-100.0)
    initial = loop.initial_diagnostics()
    _, _, trained = loop.epochs(0, 2)
    assert initial.shape == (1, 5) and trained.shape == (2, 1, 5)
    for row in (initial[0], *trained[:, 0]):
        assert row[DEAD] == 1 and row[FLAT] == 1
        assert row[ACT_MEAN] == 0 and row[ACT_STD] == 0
        assert row[GRAD_NORM] == 0, "no gradient reaches a dead layer's kernel"


def test_sigmoid_with_huge_weights_is_flat(circles):
    saturated = loop_for(circles, "sigmoid", scale=1000.0).initial_diagnostics()
    plain = loop_for(circles, "sigmoid").initial_diagnostics()
    assert saturated[0, FLAT] > 0.95
    assert plain[0, FLAT] == 0, "Glorot weights keep sigmoid in its slope"
    assert saturated[0, ACT_STD] > 0.4, "outputs pinned at 0 and 1"


def test_grad_norm_is_the_gradient_tape_norm_of_one_batch(sensors):
    """One epoch, one batch (batch_size > rows): grad_norm at epochs 0 and 1
    is the norm of the gradient at the initial weights, computed here by hand."""
    result = train(sensors, "tanh", hidden_units=[6, 5], epochs=1, batch_size=10_000)
    model, _ = engine.build(spec_of("tanh", hidden_units=[6, 5]), sensors)
    with tf.GradientTape() as tape:
        loss = keras.losses.BinaryCrossentropy()(sensors["y_train"], model(sensors["X_train"]))
    kernels = [model.layers[0].kernel, model.layers[1].kernel]
    expected = [float(tf.norm(g)) for g in tape.gradient(loss, kernels)]
    diagnosed = result["diagnostics"]
    assert diagnosed.shape == (2, 2, 5), "epochs 0 and 1, two hidden layers"
    np.testing.assert_allclose(diagnosed[0, :, GRAD_NORM], expected, rtol=1e-5)
    np.testing.assert_allclose(diagnosed[1, :, GRAD_NORM], expected, rtol=1e-5)


@pytest.mark.parametrize("dataset", ["sensors", "blobs"])
def test_grad_norm_is_the_mean_over_the_epochs_batches(request, dataset):
    """With a learning rate of 0 the weights never move, so epoch 1's mean
    over its batches (in the loop) equals epoch 0's (one backward pass), and
    both equal a batch-by-batch GradientTape loop of the task's loss (binary
    or sparse categorical cross-entropy); 105 or 161 rows in batches of 25
    leave a short last batch."""
    data = request.getfixturevalue(dataset)
    loop = loop_for(data, "elu", hidden_units=(8, 5), optimizer="sgd", learning_rate=0.0)
    order = loop._order(0).numpy()
    norms = []
    for start in range(0, len(order), 25):
        index = order[start : start + 25]
        with tf.GradientTape() as tape:
            loss = loop.loss_fn(data["y_train"][index], loop.model(data["X_train"][index]))
        kernels = [dense.kernel for dense, _ in loop.hidden]
        norms.append([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])
    expected = np.mean(norms, axis=0)
    assert len(norms) == -(-len(order) // 25) and len(order) % 25
    np.testing.assert_allclose(loop.initial_diagnostics()[:, GRAD_NORM], expected, rtol=1e-5)
    np.testing.assert_allclose(loop.epochs(0, 1)[2][0, :, GRAD_NORM], expected, rtol=1e-5)


def test_custom_and_parameterised_activations_get_diagnostics(circles, tmp_path, monkeypatch):
    """The derivative comes from autodiff of the function actually used, with
    its arguments: a custom sigmoid made 1000 times steeper saturates at the
    initial weights; leaky ReLU is dead at a slope below 1% of its peak and
    alive above."""
    (tmp_path / "diagnosis_acts.py").write_text(
        "import keras\n\ndef steep_sigmoid(x, sharpness=1.0):\n    return keras.ops.sigmoid(sharpness * x)\n"
    )
    monkeypatch.chdir(tmp_path)
    gentle = train(circles, {"name": "diagnosis_acts:steep_sigmoid", "sharpness": 1.0}, epochs=2)["diagnostics"]
    steep = train(circles, {"name": "diagnosis_acts:steep_sigmoid", "sharpness": 1000.0}, epochs=2)["diagnostics"]
    assert gentle.shape == steep.shape == (3, 1, 5)
    assert gentle[0, 0, FLAT] == 0 and steep[0, 0, FLAT] > 0.9
    steep = loop_for(circles, {"name": "leaky_relu", "negative_slope": 0.1}, bias=-100.0).initial_diagnostics()
    shallow = loop_for(circles, {"name": "leaky_relu", "negative_slope": 0.001}, bias=-100.0).initial_diagnostics()
    assert steep[0, DEAD] == 0 and steep[0, GRAD_NORM] > 0
    assert shallow[0, DEAD] == 1


def test_derivative_peak_by_autodiff():
    assert float(diagnostics.derivative_peak(keras.activations.sigmoid)) == pytest.approx(0.25)
    assert float(diagnostics.derivative_peak(keras.activations.relu)) == pytest.approx(1.0)
    assert float(diagnostics.derivative_peak(keras.activations.tanh)) == pytest.approx(1.0)


# -- guarantees ---------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "relu", {"name": "leaky_relu", "negative_slope": 0.1}])
def test_diagnostics_do_not_change_the_trajectory(circles, tmp_path, monkeypatch, activation):
    """history.csv, boundary grids and final weights are byte-identical with
    diagnostics on and off (through train_and_save, checkpoint segments and
    snapshots included)."""
    from actzoo.runs import train_and_save

    monkeypatch.setattr(engine, "configure_threads", lambda: None)  # TensorFlow runs already

    data_path = tmp_path / "circles.npz"
    np.savez(data_path, **circles)
    training = dict(engine="compiled", epochs=6, batch_size=25, optimizer="adam", learning_rate=0.01,
                    shuffle=True, checkpoint_every=2, snapshot_epochs=[1, 3])  # fmt: skip
    files = {}
    for diagnosed in (False, True):
        run = tmp_path / str(diagnosed)
        run.mkdir()
        outputs = {key: str(run / name) for key, name in [
            ("history", "history.csv"), ("metrics", "metrics.json"), ("model", "model.keras"),
            ("boundary", "boundary.npz"), ("diagnostics", "diagnostics.csv"),
        ]}  # fmt: skip
        metrics = train_and_save(
            data_path, outputs, dataset="circles", activation=normalise(activation), seed=3,
            model={"hidden_units": [4, 3]}, training={**training, "diagnostics": diagnosed}, planar=True,
            grid_resolution=12, checkpoint_dir=run / ".ckpt", code="test", log=lambda message: None,
        )  # fmt: skip
        with np.load(outputs["boundary"]) as boundary:
            files[diagnosed] = ((run / "history.csv").read_bytes(), boundary["probabilities"],
                                metrics["final_weights_sha256"], pd.read_csv(run / "diagnostics.csv"))  # fmt: skip
    assert files[False][0] == files[True][0]
    assert np.array_equal(files[False][1], files[True][1])
    assert files[False][2] == files[True][2]
    off, on = files[False][3], files[True][3]
    assert list(off.columns) == list(on.columns) == DIAGNOSTICS_COLUMNS
    assert off.empty, "off: the file is there, with its header only"
    assert len(on) == 7 * 2 and on["epoch"].tolist() == [e for e in range(7) for _ in (1, 2)]
    assert on["layer"].tolist() == [1, 2] * 7


def test_diagnostics_survive_a_resume_byte_for_byte(circles, tmp_path, monkeypatch):
    settings = dict(hidden_units=[4, 3], epochs=6, checkpoint_every=2, checkpoint_dir=tmp_path / "ckpt")
    fresh = train(circles, "relu", hidden_units=[4, 3], epochs=6)
    with monkeypatch.context() as patch:  # keep the last checkpoint (epoch 4), like a kill after it
        patch.setattr(checkpoints.Checkpoint, "remove", lambda self: None)
        train(circles, "relu", **settings)
    logs = []
    resumed = train(circles, "relu", **settings, log=logs.append)
    assert resumed["resumed_from_epoch"] == 4
    assert diagnostics_table(resumed["diagnostics"]).to_csv() == diagnostics_table(fresh["diagnostics"]).to_csv()
    with monkeypatch.context() as patch:
        patch.setattr(checkpoints.Checkpoint, "remove", lambda self: None)
        train(circles, "relu", **settings, diagnostics=False)
    again = train(circles, "relu", **settings, log=logs.append)
    assert again["resumed_from_epoch"] == 0, "a checkpoint without diagnostics is not resumed by a run with them"
    assert np.array_equal(again["diagnostics"], fresh["diagnostics"])


def test_divergence_truncates_the_diagnostics_too(circles):
    """As in test_engine: linear with sgd at learning rate 100 goes non-finite in epoch 2."""
    result = train(circles, "linear", optimizer="sgd", learning_rate=100.0, epochs=50, hidden_units=[64])
    assert result["diverged_epoch"] == 2 and len(result["rows"]) == 2
    assert diagnostics_table(result["diagnostics"])["epoch"].tolist() == [0, 1, 2]


def test_keras_fit_records_no_diagnostics(circles):
    logs = []
    result = train(circles, "relu", engine="keras_fit", hidden_units=[4, 3], log=logs.append)
    assert result["diagnostics"].shape == (0, 2, 5)
    assert list(diagnostics_table(result["diagnostics"]).columns) == DIAGNOSTICS_COLUMNS
    assert any("compiled engine" in line for line in logs)


# -- tables and figure (no TensorFlow needed) ----------------------------------------


def write_run(directory, activation, seed, layers, diverged=False, empty=False):
    directory.mkdir(parents=True)
    rows = [
        [epoch, layer, 0.1 / (epoch + 1) if activation != "relu" else 0.0, 0.5, 0.2, 0.1 * layer, 0.0]
        for epoch in range(4)
        for layer in range(1, layers + 1)
    ]
    table = pd.DataFrame([] if empty else rows, columns=DIAGNOSTICS_COLUMNS)
    table.to_csv(directory / "diagnostics.csv", index=False)
    metrics = {"dataset": "toy", "activation": activation, "seed": seed, "diverged": diverged}
    (directory / "metrics.json").write_text(json.dumps(metrics))
    return directory / "diagnostics.csv", directory / "metrics.json"


@pytest.mark.parametrize("layers", [1, 8])
def test_figure_has_a_row_per_measure_and_a_column_per_layer(tmp_path, drawn, layers):
    from actzoo import diagnostic_figures

    runs = [write_run(tmp_path / f"{a}{s}", a, s, layers, diverged=(a, s) == ("tanh", 2))
            for a in ("sigmoid", "tanh", "relu") for s in (1, 2)]  # fmt: skip
    paths = [tmp_path / "diagnostics_toy.png", tmp_path / "diagnostics_toy.svg"]
    diagnostic_figures.plot_diagnostics([d for d, _ in runs], [m for _, m in runs], "toy", paths)
    assert all(path.stat().st_size > 1000 for path in paths)
    (figure,) = drawn
    axes = np.array(figure.axes).reshape(5, layers)
    assert [ax.get_title() for ax in axes[0]][-1] == f"hidden layer {layers}"
    assert axes[0, 0].get_yscale() == "symlog", "gradient norms span decades; relu's are 0 here"
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["sigmoid", "tanh (1 diverged)", "relu"]
    for ax in axes.flat:
        assert len(ax.lines) == 3, "one line per activation in every panel"


def test_figure_and_table_without_diagnostics(tmp_path, drawn):
    from actzoo import diagnostic_figures
    from actzoo.aggregate import DIAGNOSTICS_COLUMNS as MERGED_COLUMNS
    from actzoo.aggregate import write_diagnostics

    runs = [write_run(tmp_path / a, a, 1, 2, empty=True) for a in ("tanh", "relu")]
    diagnostic_figures.plot_diagnostics([d for d, _ in runs], [m for _, m in runs], "toy", [tmp_path / "d.png"])
    assert "no diagnostics recorded" in drawn[0].axes[0].texts[0].get_text()
    write_diagnostics([d for d, _ in runs], [m for _, m in runs], tmp_path / "merged.csv")
    merged = pd.read_csv(tmp_path / "merged.csv")
    assert merged.empty and list(merged.columns) == MERGED_COLUMNS


def test_merged_table_keys_every_row_by_run(tmp_path):
    from actzoo.aggregate import KEYS, write_diagnostics

    runs = [write_run(tmp_path / f"{a}{s}", a, s, 2) for a in ("tanh", "relu") for s in (1, 2)]
    write_diagnostics([d for d, _ in runs], [m for _, m in runs], tmp_path / "merged.csv")
    merged = pd.read_csv(tmp_path / "merged.csv")
    assert list(merged.columns) == KEYS + DIAGNOSTICS_COLUMNS, "a run's columns, keyed by the run"
    assert len(merged) == 4 * 4 * 2
    assert not merged.duplicated(["dataset", "activation", "seed", "epoch", "layer"]).any()
