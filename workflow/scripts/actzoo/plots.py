"""Figures, drawn from saved tables and grids: no TensorFlow here."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from actzoo.aggregate import read_json, read_metrics  # noqa: E402

# Deterministic SVG ids and no timestamp, so identical figures are identical files.
matplotlib.rcParams["svg.hashsalt"] = "actzoo"
METADATA = {"svg": {"Date": None}, "png": {"Software": None}}


def save(figure, paths):
    for path in paths:
        figure.savefig(path, dpi=110, bbox_inches="tight", metadata=METADATA[str(path).rsplit(".", 1)[-1]])
    plt.close(figure)


def load_runs(history_paths, metrics_paths):
    """One frame of all histories with model/activation/seed/diverged columns
    (model: the variant's name, or None without variants)."""
    frames = []
    for history, metrics in zip(history_paths, metrics_paths, strict=True):
        run = read_json(metrics)
        frame = pd.read_csv(history)
        frame["model"], frame["activation"] = run.get("model"), run["activation"]
        frame["seed"], frame["diverged"] = run["seed"], run["diverged"]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def row_length(runs):
    """Panels per row: with model variants, one row per variant (its activations)."""
    if runs and runs[0].get("model") is not None:
        return len({run["activation"] for run in runs})
    return 4


def run_label(run):
    """An activation, prefixed by its model variant if there are variants."""
    return f"{run['model']} · {run['activation']}" if run.get("model") is not None else run["activation"]


def plot_curves(history_paths, metrics_paths, dataset, paths):
    """The lesson's plot: validation loss and accuracy per epoch, one line per
    activation (mean over seeds) with a min-max band, one row per model
    variant. Diverged seeds are left out of the band and counted in the legend."""
    table = load_runs(history_paths, metrics_paths)
    variants = list(dict.fromkeys(table["model"]))
    figure, axes = plt.subplots(len(variants), 2, figsize=(11, 4 * len(variants)), squeeze=False)
    for row, variant in zip(axes, variants):
        mine = table[table["model"] == variant] if variant is not None else table
        for activation, runs in mine.groupby("activation", sort=False):
            diverged = runs.loc[runs["diverged"], "seed"].nunique()
            finite = runs[~runs["diverged"]]
            label = activation + (f" ({diverged} diverged)" if diverged else "")
            if finite.empty:
                row[0].plot([], [], label=label + " - no finite run")
                continue
            for ax, metric in zip(row, ("val_loss", "val_accuracy")):
                stats = finite.groupby("epoch")[metric].agg(["mean", "min", "max"])
                (line,) = ax.plot(stats.index, stats["mean"], label=label)
                ax.fill_between(stats.index, stats["min"], stats["max"], color=line.get_color(), alpha=0.2)
        for ax, name in zip(row, ("validation loss", "validation accuracy")):
            ax.set_xlabel("epoch")
            ax.set_ylabel(name)
            ax.grid(alpha=0.3)
        row[0].legend(title="activation" if variant is None else f"{variant}: activation")
    n_seeds = table["seed"].nunique()
    figure.suptitle(f"{dataset}: mean over {n_seeds} seed(s), band = min-max")
    save(figure, paths)


def draw_boundary(ax, xx, yy, probability, X, y):
    """Filled probability contour, the 0.5 boundary, and the lesson's red crosses / blue circles."""
    ax.contourf(xx, yy, probability, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.6)
    ax.contour(xx, yy, probability, levels=[0.5], colors="black", linewidths=1.5)
    positive = y[:, 0] > 0.5
    ax.scatter(X[~positive, 0], X[~positive, 1], marker="x", c="red", s=12, linewidths=1)
    ax.scatter(X[positive, 0], X[positive, 1], marker="o", facecolors="none", edgecolors="blue", s=12)
    ax.set_xticks([])
    ax.set_yticks([])


def panel_grid(n, panel_size, max_columns=4):
    """A figure with ``n`` panels in rows of at most ``max_columns``."""
    columns = min(n, max_columns)
    rows = -(-n // columns)
    width, height = panel_size
    figure, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return figure, axes


def _blank(ax, message, title=None):
    """A panel that states why there is nothing to draw (diverged, missing)."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="darkred", wrap=True)
    ax.set_facecolor("#f4f4f4")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)


def _diverged_note(run):
    epoch = run.get("diverged_epoch")
    return f"diverged at epoch {epoch}" if epoch is not None else "diverged"


def plot_boundaries(data_path, boundary_paths, metrics_paths, dataset, paths):
    """One panel per activation: the final boundary of the first seed."""
    with np.load(data_path) as data:
        X, y = data["X_val"], data["y_val"]
    runs = read_metrics(metrics_paths)
    figure, axes = panel_grid(len(boundary_paths), (3.6, 3.6), max_columns=row_length(runs))
    for ax, boundary_path, run in zip(axes.flat, boundary_paths, runs):
        with np.load(boundary_path) as boundary:
            if run["diverged"] or not len(boundary["epochs"]):
                _blank(ax, _diverged_note(run), title=f"{run_label(run)}: diverged")
                continue
            draw_boundary(ax, boundary["xx"], boundary["yy"], boundary["probabilities"][-1], X, y)
        ax.set_title(f"{run_label(run)}  val_acc={run['val_accuracy']:.3f}")
    seeds = ", ".join(str(seed) for seed in sorted({run["seed"] for run in runs}))
    figure.suptitle(f"{dataset}: decision boundaries (seed {seeds})")
    save(figure, paths)


def plot_activations(table_path, paths):
    """The activation zoo: each activation and its derivative."""
    with np.load(table_path) as saved:
        table = dict(saved)
    labels = [key[: -len(".value")] for key in table if key.endswith(".value")]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    x = table["x"]
    for label in labels:
        (line,) = axes[0].plot(x, table[f"{label}.value"], label=label)
        axes[1].plot(x, table[f"{label}.derivative"], color=line.get_color())
    for ax, title in zip(axes, ("f(x)", "f'(x)")):
        ax.set_title(title)
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.grid(alpha=0.3)
    axes[0].legend()
    figure.suptitle("The activation zoo")
    save(figure, paths)


def load_boundary(path):
    """A boundary.npz as a dict of arrays (xx, yy, epochs, probabilities)."""
    with np.load(path) as boundary:
        return {key: boundary[key] for key in ("xx", "yy", "epochs", "probabilities")}


def evolution_epochs(boundaries, metrics):
    """Column epochs of the evolution grid and the final epoch (None if no run
    finished): every snapshot epoch of any run, the final one included."""
    epochs = {int(e) for boundary in boundaries for e in boundary["epochs"]}
    if not epochs:  # every run diverged before its first snapshot
        epochs = {int(run.get("epochs_requested") or run["epochs"] or 1) for run in metrics}
    finals = [int(run["epochs"]) for run in metrics if not run["diverged"]]
    return sorted(epochs), max(finals) if finals else None


def plot_evolution(data_path, boundary_paths, metrics_paths, dataset, paths):
    """How the boundary forms: one row per activation (first seed), one column
    per snapshot epoch, the final epoch last. Epochs a diverged run did not
    reach with finite weights are marked instead of drawn."""
    with np.load(data_path) as data:
        X, y = data["X_val"], data["y_val"]
    metrics = read_metrics(metrics_paths)
    boundaries = [load_boundary(path) for path in boundary_paths]
    columns, final = evolution_epochs(boundaries, metrics)
    rows = len(boundaries)
    figure, axes = plt.subplots(
        rows, len(columns), figsize=(2.6 * len(columns), 2.6 * rows), squeeze=False, constrained_layout=True
    )
    for row, (run, boundary) in enumerate(zip(metrics, boundaries, strict=True)):
        snapshots = {int(e): p for e, p in zip(boundary["epochs"], boundary["probabilities"])}
        for column, epoch in enumerate(columns):
            ax = axes[row, column]
            probability = snapshots.get(epoch)
            if probability is not None and np.isfinite(probability).all():
                draw_boundary(ax, boundary["xx"], boundary["yy"], probability, X, y)
            elif run["diverged"] and (run.get("diverged_epoch") is None or epoch >= run["diverged_epoch"]):
                _blank(ax, _diverged_note(run))
            else:
                _blank(ax, "no snapshot")
            if row == 0:
                ax.set_title(f"final (epoch {epoch})" if epoch == final else f"epoch {epoch}")
            if column == 0:
                label = run_label(run) + (" (diverged)" if run["diverged"] else "")
                ax.set_ylabel(label, fontsize=11)
    seed = metrics[0]["seed"] if metrics else "?"
    figure.suptitle(f"{dataset}: decision boundary during training (seed {seed})")
    save(figure, paths)


def has_boundary(probability, level=0.5):
    """Whether the ``level`` contour exists: finite and on both sides of it."""
    return bool(np.isfinite(probability).all() and probability.min() < level < probability.max())


def plot_seed_boundaries(data_path, boundary_paths, metrics_paths, dataset, paths):
    """Run-to-run variability: the final 0.5 boundary of every seed, overlaid,
    one panel per activation. Diverged seeds are listed, not drawn."""
    with np.load(data_path) as data:
        X, y = data["X_val"], data["y_val"]
    runs = read_metrics(metrics_paths)
    by_activation = {}
    for run, path in zip(runs, boundary_paths, strict=True):
        by_activation.setdefault(run_label(run), []).append((run, path))
    seeds = sorted({run["seed"] for run in runs})
    colours = {seed: plt.get_cmap("tab10")(i % 10) for i, seed in enumerate(seeds)}
    figure, axes = panel_grid(len(by_activation), (3.8, 4.2), max_columns=row_length(runs))
    positive = y[:, 0] > 0.5
    for ax, (activation, members) in zip(axes.flat, by_activation.items()):
        ax.scatter(X[~positive, 0], X[~positive, 1], marker="x", c="red", s=10, linewidths=0.8, alpha=0.35)
        ax.scatter(X[positive, 0], X[positive, 1], marker="o", facecolors="none", edgecolors="blue", s=10, alpha=0.35)
        handles, notes = [], []
        for run, path in members:
            seed = run["seed"]
            if run["diverged"]:
                notes.append(f"seed {seed}: {_diverged_note(run)}")
                continue
            boundary = load_boundary(path)
            probability = boundary["probabilities"][-1]
            if not has_boundary(probability):
                side = "all positive" if np.nanmin(probability) >= 0.5 else "all negative"
                notes.append(f"seed {seed}: no boundary ({side})")
                continue
            ax.contour(
                boundary["xx"], boundary["yy"], probability, levels=[0.5], colors=[colours[seed]], linewidths=1.6
            )
            handles.append(plt.Line2D([], [], color=colours[seed], lw=1.6, label=f"seed {seed}"))
        if handles:
            ax.legend(handles=handles, fontsize=7, loc="upper right", framealpha=0.7)
        ax.set_xticks([])
        ax.set_yticks([])
        drawn = len(handles)
        ax.set_title(f"{activation}: {drawn}/{len(members)} boundaries")
        if notes:
            ax.set_xlabel("\n".join(notes), color="darkred", fontsize=8)
    figure.suptitle(f"{dataset}: final 0.5 boundary of every seed ({len(seeds)} seeds)")
    save(figure, paths)
