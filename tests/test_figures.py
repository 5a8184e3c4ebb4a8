"""Boundary evolution and seed-variability figures: synthetic grids, then the tiny run."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection

from actzoo import boundary_figures, curve_figures, diagnostic_figures, figure_parts, labels

SNAPSHOTS = [1, 3, 6]
FIGURE_MODULES = ("boundary_figures", "curve_figures", "depth_figures", "diagnostic_figures", "sensitivity_figures")


def write_data(path, n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, size=(n, 2))
    y = (np.hypot(X[:, 0], X[:, 1]) < 0.8).astype(float)[:, None]
    np.savez(path, X_train=X, y_train=y, X_val=X, y_val=y)
    return path


def write_run(directory, activation, seed, radius=0.8, diverged_epoch=None, constant=None, tuned=None):
    """boundary.npz + metrics.json like the training job writes them (with
    ``tuned``, the chosen settings, as evaluation runs of a tuned config)."""
    directory.mkdir(parents=True, exist_ok=True)
    xx, yy = np.meshgrid(np.linspace(-1.5, 1.5, 30), np.linspace(-1.5, 1.5, 30))
    epochs = [e for e in SNAPSHOTS if diverged_epoch is None or e < diverged_epoch]
    probabilities = [1 / (1 + np.exp(-8 * (radius * e / 6 - np.hypot(xx, yy)))) for e in epochs]
    if constant is not None:
        probabilities = [np.full_like(xx, constant) for _ in epochs]
    np.savez(
        directory / "boundary.npz",
        xx=xx,
        yy=yy,
        epochs=np.array(epochs, dtype=np.int64),
        probabilities=np.array(probabilities, dtype=np.float32).reshape(len(epochs), *xx.shape),
    )
    metrics = {
        "dataset": "toy",
        "activation": activation,
        "seed": seed,
        "epochs": (diverged_epoch or SNAPSHOTS[-1]),
        "epochs_requested": SNAPSHOTS[-1],
        "diverged": diverged_epoch is not None,
        "diverged_epoch": diverged_epoch,
        "val_accuracy": float("nan") if diverged_epoch else 0.9,
    }
    if tuned is not None:
        metrics["tuned"] = tuned
    (directory / "metrics.json").write_text(json.dumps(metrics))
    return directory / "boundary.npz", directory / "metrics.json"


def panel_texts(ax):
    return " ".join(text.get_text() for text in ax.texts)


def test_evolution_grid_marks_diverged_snapshots(tmp_path, drawn):
    data = write_data(tmp_path / "toy.npz")
    runs = [
        write_run(tmp_path / "tanh", "tanh", 1),
        write_run(tmp_path / "relu", "relu", 1, diverged_epoch=2),
    ]
    paths = [tmp_path / "evolution_toy.png", tmp_path / "evolution_toy.svg"]
    boundary_figures.plot_evolution(data, [b for b, _ in runs], [m for _, m in runs], "toy", paths)
    for path in paths:
        assert path.stat().st_size > 1000
    (figure,) = drawn
    axes = np.array(figure.axes).reshape(2, len(SNAPSHOTS))
    assert [ax.get_title() for ax in axes[0]] == ["epoch 1", "epoch 3", "final (epoch 6)"]
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["tanh", "relu (diverged)"]
    for ax in axes[0]:
        assert ax.collections and not ax.texts, "finished run: every snapshot drawn"
    assert axes[1, 0].collections and not axes[1, 0].texts, "the snapshot before divergence is still valid"
    for ax in axes[1, 1:]:
        assert "diverged at epoch 2" in panel_texts(ax)
        assert not ax.collections, "nothing drawn for a diverged state"


def test_evolution_when_every_run_diverged_at_once(tmp_path, drawn):
    data = write_data(tmp_path / "toy.npz")
    run = write_run(tmp_path / "relu", "relu", 1, diverged_epoch=1)
    boundary_figures.plot_evolution(data, [run[0]], [run[1]], "toy", [tmp_path / "e.png"])
    (figure,) = drawn
    assert "diverged at epoch 1" in panel_texts(figure.axes[0])


def test_seed_boundaries_overlay_every_finished_seed(tmp_path, drawn):
    data = write_data(tmp_path / "toy.npz")
    runs = [write_run(tmp_path / f"tanh{s}", "tanh", s, radius=0.6 + 0.1 * s) for s in (1, 2, 3)]
    runs += [
        write_run(tmp_path / "relu1", "relu", 1),
        write_run(tmp_path / "relu2", "relu", 2, diverged_epoch=4),
        write_run(tmp_path / "relu3", "relu", 3, constant=0.2),
    ]
    paths = [tmp_path / "boundaries_seeds_toy.png", tmp_path / "boundaries_seeds_toy.svg"]
    boundary_figures.plot_seed_boundaries(data, [b for b, _ in runs], [m for _, m in runs], "toy", paths)
    for path in paths:
        assert path.stat().st_size > 1000
    (figure,) = drawn
    tanh, relu = figure.axes[:2]
    assert tanh.get_title() == "tanh: 3/3 boundaries"
    assert [t.get_text() for t in tanh.get_legend().get_texts()] == ["seed 1", "seed 2", "seed 3"]
    assert relu.get_title() == "relu: 1/3 boundaries"
    assert "seed 2: diverged at epoch 4" in relu.get_xlabel()
    assert "seed 3: no boundary (all negative)" in relu.get_xlabel()


def test_has_boundary():
    assert boundary_figures.has_boundary(np.array([[0.2, 0.7]]))
    assert not boundary_figures.has_boundary(np.array([[0.2, 0.3]]))
    assert not boundary_figures.has_boundary(np.array([[np.nan, 0.7]]))


def test_plot_code_never_imports_tensorflow():
    modules = ", ".join(f"actzoo.{name}" for name in FIGURE_MODULES)
    code = f"import sys, {modules}; print(any(m.split('.')[0] == 'tensorflow' for m in sys.modules))"
    scripts = Path(labels.__file__).parents[1]
    result = subprocess.run([sys.executable, "-c", code], cwd=scripts, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_tiny_run_figure_files(tiny_run):
    figures = tiny_run / "results" / "figures"
    for ext in ("png", "svg"):
        for name in ("evolution_circles", "boundaries_seeds_circles"):
            assert (figures / f"{name}.{ext}").stat().st_size > 1000
        for name in ("evolution_sensors", "boundaries_seeds_sensors"):
            assert not (figures / f"{name}.{ext}").exists(), "sensors has 20 features: no boundary"
    with np.load(tiny_run / "results" / "runs" / "circles" / "tanh" / "seed1" / "boundary.npz") as boundary:
        assert boundary["epochs"].tolist() == [1, 3, 6], "snapshots of the same run, final last"
    for rule in ("plot_evolution", "plot_seed_boundaries"):
        assert (tiny_run / "logs" / rule / "circles.log").exists()


# ---------------------------------------------------------------- tuned runs


def test_settings_label_is_compact_and_in_one_order():
    tuned = {"learning_rate": 0.01, "epochs": 50, "batch_size": 32, "optimizer": "sgd", "initializer": "he_normal"}
    assert labels.settings_label(tuned) == "lr=0.01, epochs=50, bs=32, optimizer=sgd, initializer=he_normal"
    # metrics.json sorts its keys; labels keep the schema's order, others last.
    assert labels.settings_label({"batch_size": 8, "learning_rate": 1e-05}) == "lr=1e-05, bs=8"
    assert labels.settings_label({"momentum": 0.9, "epochs": 50}) == "epochs=50, momentum=0.9"
    # A grid built by arithmetic (np.logspace, 0.1 * 3) reads as the rate it means.
    assert labels.settings_label({"learning_rate": 0.1 * 3}) == "lr=0.3"
    assert labels.settings_label(None) == labels.settings_label({}) == ""
    # runs.csv's settings text (the grid point's name) reads the same.
    assert labels.settings_label("epochs=50,learning_rate=0.01") == "lr=0.01, epochs=50"
    run = {"activation": "relu", "model": "deep", "tuned": {"learning_rate": 0.003}}
    assert figure_parts.run_label(run) == "deep · relu · lr=0.003"
    assert figure_parts.run_label(run, wrap=True) == "deep · relu\nlr=0.003", "narrow panel titles: two lines"
    assert figure_parts.run_label({"activation": "relu", "model": "deep"}) == "deep · relu", "untuned: as before"


# Evaluation runs of a tuned config: each activation trained at its chosen
# settings (keys sorted, as metrics.json holds them).
TUNED = {"tanh": {"learning_rate": 0.01}, "relu": {"batch_size": 16, "learning_rate": 0.1}}
TUNED_LABELS = {"tanh": "tanh · lr=0.01", "relu": "relu · lr=0.1, bs=16"}
# Panel titles and row labels: the settings on a line of their own.
TUNED_TITLES = {"tanh": "tanh\nlr=0.01", "relu": "relu\nlr=0.1, bs=16"}


def titles_clear_the_suptitle(figure):
    """Whether every panel title lies below the figure's title, as drawn
    (on a canvas of its own: saving closed the figure's)."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)  # the layout engine places the titles here
    (suptitle,) = [text for text in figure.texts if text.get_text() == figure.get_suptitle()]
    bottom = suptitle.get_window_extent(renderer).y0
    return all(ax.title.get_window_extent(renderer).y1 <= bottom for ax in figure.axes if ax.get_visible())


def tuned_runs(directory):
    """boundary, metrics, history and diagnostics files of two tuned
    activations, two seeds; (relu, seed 2) diverged at epoch 4."""
    runs = []
    for activation, tuned in TUNED.items():
        for seed in (1, 2):
            diverged = 4 if (activation, seed) == ("relu", 2) else None
            run = directory / activation / f"seed{seed}"
            boundary, metrics = write_run(run, activation, seed, diverged_epoch=diverged, tuned=tuned)
            epochs = range(1, (diverged or 7))
            history = pd.DataFrame(
                {"epoch": epochs, "loss": 0.5, "accuracy": 0.8, "val_loss": 0.5, "val_accuracy": 0.8}
            )
            history.to_csv(run / "history.csv", index=False)
            diagnostics = pd.DataFrame({"epoch": epochs, "layer": 1, "grad_norm": 0.1, "act_mean": 0.0, "act_std": 1.0,
                                        "flat_fraction": 0.1, "dead_units": 0.0})  # fmt: skip
            diagnostics.to_csv(run / "diagnostics.csv", index=False)
            runs.append({"boundary": boundary, "metrics": metrics, "history": run / "history.csv",
                         "diagnostics": run / "diagnostics.csv", "seed": seed})  # fmt: skip
    return runs


def test_tuned_runs_show_their_settings_in_every_figure(tmp_path, drawn):
    data = write_data(tmp_path / "toy.npz")
    runs = tuned_runs(tmp_path)

    def column(key, seeds=(1, 2)):
        return [run[key] for run in runs if run["seed"] in seeds]

    out = tmp_path / "figure.png"

    curve_figures.plot_curves(column("history"), column("metrics"), "toy", [out])
    legend = [t.get_text() for t in drawn[-1].axes[0].get_legend().get_texts()]
    assert legend == [TUNED_LABELS["tanh"], TUNED_LABELS["relu"] + " (1 diverged)"]

    diagnostic_figures.plot_diagnostics(column("diagnostics"), column("metrics"), "toy", [out])
    assert [t.get_text() for t in drawn[-1].legends[0].get_texts()] == legend

    boundary_figures.plot_boundaries(data, column("boundary", (1,)), column("metrics", (1,)), "toy", [out])
    titles = [ax.get_title() for ax in drawn[-1].axes[:2]]
    assert titles == [f"{TUNED_TITLES[a]}  val_acc=0.900" for a in TUNED]
    assert titles_clear_the_suptitle(drawn[-1]), "two-line titles, the figure's title above them"

    boundary_figures.plot_evolution(data, column("boundary", (1,)), column("metrics", (1,)), "toy", [out])
    rows = np.array(drawn[-1].axes).reshape(2, -1)
    assert [ax.get_ylabel() for ax in rows[:, 0]] == list(TUNED_TITLES.values())

    boundary_figures.plot_seed_boundaries(data, column("boundary"), column("metrics"), "toy", [out])
    titles = [ax.get_title() for ax in drawn[-1].axes[:2]]
    assert titles == [f"{TUNED_TITLES['tanh']}: 2/2 boundaries", f"{TUNED_TITLES['relu']}: 1/2 boundaries"]
    assert titles_clear_the_suptitle(drawn[-1])


# ---------------------------------------------------------------- multiclass


def three_bands(xx, sharpness=8.0):
    """P(class k) for vertical bands: left, middle, right."""
    logits = np.stack([-sharpness * np.abs(xx - c) for c in (-1.0, 0.0, 1.0)], axis=-1)
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)


def test_class_margins_are_zero_exactly_on_the_boundaries():
    xx, _ = np.meshgrid(np.linspace(-1.5, 1.5, 31), np.linspace(-1.5, 1.5, 5))
    margins = boundary_figures.class_margins(three_bands(xx))
    assert margins.shape == (3, 5, 31)
    winner = margins.argmax(axis=0)
    assert np.array_equal(winner, three_bands(xx).argmax(axis=-1)), "positive only for the argmax class"
    assert (margins.max(axis=0) >= 0).all() and (np.sort(margins, axis=0)[-2] <= 0).all()
    # The bands meet at x = -0.5 and x = 0.5: margins of both neighbours vanish there.
    column = 10  # x = -0.5
    np.testing.assert_allclose(margins[0][:, column], 0, atol=1e-6)
    np.testing.assert_allclose(margins[1][:, column], 0, atol=1e-6)


def test_multiclass_boundaries_show_class_regions_and_points(tmp_path, drawn):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.5, 1.5, size=(90, 2))
    y = np.digitize(X[:, :1], [-0.5, 0.5]).astype(np.float32)
    data = tmp_path / "bands.npz"
    np.savez(data, X_train=X, y_train=y, X_val=X, y_val=y, task=np.array("multiclass"), classes=np.arange(3))
    xx, yy = np.meshgrid(np.linspace(-1.5, 1.5, 30), np.linspace(-1.5, 1.5, 30))
    runs = []
    for activation in ("tanh", "relu"):
        directory = tmp_path / activation
        directory.mkdir()
        grids = np.array([three_bands(xx, s) for s in (1.0, 4.0, 8.0)], dtype=np.float32)
        np.savez(directory / "boundary.npz", xx=xx, yy=yy, epochs=np.array(SNAPSHOTS), probabilities=grids)
        metrics = {"dataset": "bands", "activation": activation, "seed": 1, "epochs": 6, "diverged": False,
                   "diverged_epoch": None, "val_accuracy": 0.95}  # fmt: skip
        (directory / "metrics.json").write_text(json.dumps(metrics))
        runs.append((directory / "boundary.npz", directory / "metrics.json"))
    boundaries, metrics = zip(*runs)
    boundary_figures.plot_boundaries(data, boundaries, metrics, "bands", [tmp_path / "b.png"])
    for ax in drawn[-1].axes[:2]:
        assert len(ax.collections) >= 3, "filled regions, boundary lines and the points"
        markers = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(markers) == 3, "one scatter per class"
        assert sorted(len(c.get_offsets()) for c in markers) == sorted(np.bincount(y[:, 0].astype(int)))
    boundary_figures.plot_seed_boundaries(data, boundaries, metrics, "bands", [tmp_path / "s.png"])
    assert "class boundaries of every seed" in drawn[-1].texts[0].get_text()
    assert "2/2" not in drawn[-1].axes[0].get_title() and "1/1 boundaries" in drawn[-1].axes[0].get_title()
