"""Decision boundaries, from the probability grids training saves: the final
boundary per activation, every seed's overlaid, and how it forms."""

import matplotlib.pyplot as plt
import numpy as np

from actzoo.aggregate import read_metrics
from actzoo.datasets import task_of
from actzoo.figure_output import save
from actzoo.figure_parts import blank, diverged_note, is_tuned, panel_grid, row_length, run_label

CLASS_COLOURS = plt.get_cmap("tab10").colors
CLASS_MARKERS = "oxs^vD+*<>"


def validation_points(data_path):
    """A data set's validation points and labels, and whether it is multiclass."""
    with np.load(data_path) as data:
        return data["X_val"], data["y_val"], task_of(data)[0] == "multiclass"


def load_boundary(path):
    """A boundary.npz as a dict of arrays (xx, yy, epochs, probabilities)."""
    with np.load(path) as boundary:
        return {key: boundary[key] for key in ("xx", "yy", "epochs", "probabilities")}


def class_margins(probability):
    """Per class k, p_k minus the largest other class's probability: its
    zero contours are the boundaries between the argmax regions, smooth."""
    ranked = np.sort(probability, axis=-1)
    runner_up = np.where(probability == ranked[..., -1:], ranked[..., -2:-1], ranked[..., -1:])
    return np.moveaxis(probability - runner_up, -1, 0)


def draw_class_boundaries(ax, xx, yy, probability, colour, width):
    for margin in class_margins(probability):
        if margin.min() < 0 < margin.max():
            ax.contour(xx, yy, margin, levels=[0], colors=[colour], linewidths=width)


def draw_points(ax, X, y, multiclass, size=12, alpha=1.0):
    """The lesson's red crosses (label 0) and blue circles (label 1), or for
    multiclass data each class in its colour and marker."""
    if multiclass:
        for k in np.unique(y[:, 0]).astype(int):
            members = y[:, 0] == k
            marker, colour = CLASS_MARKERS[k % len(CLASS_MARKERS)], CLASS_COLOURS[k % 10]
            look = {"c": [colour]} if marker in "x+" else {"facecolors": "none", "edgecolors": [colour]}
            ax.scatter(X[members, 0], X[members, 1], marker=marker, s=size, linewidths=1, alpha=alpha, **look)
        return
    positive = y[:, 0] > 0.5
    ax.scatter(X[~positive, 0], X[~positive, 1], marker="x", c="red", s=size, linewidths=1, alpha=alpha)
    ax.scatter(X[positive, 0], X[positive, 1], marker="o", facecolors="none", edgecolors="blue", s=size, alpha=alpha)


def draw_boundary(ax, xx, yy, probability, X, y):
    """Filled probability contour and the 0.5 boundary, or for multiclass
    data (a grid with a class axis) the argmax regions and the boundaries
    between them; then the points."""
    multiclass = probability.ndim == 3
    if multiclass:
        n_classes = probability.shape[-1]
        palette = [CLASS_COLOURS[k % 10] for k in range(n_classes)]
        levels = np.arange(n_classes + 1) - 0.5
        ax.contourf(xx, yy, probability.argmax(axis=-1), levels=levels, colors=palette, alpha=0.3)
        draw_class_boundaries(ax, xx, yy, probability, "black", 1.5)
    else:
        ax.contourf(xx, yy, probability, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.6)
        ax.contour(xx, yy, probability, levels=[0.5], colors="black", linewidths=1.5)
    draw_points(ax, X, y, multiclass)
    ax.set_xticks([])
    ax.set_yticks([])


def has_boundary(probability, level=0.5):
    """Whether the ``level`` contour exists: finite and on both sides of it;
    for multiclass data, whether more than one class is predicted."""
    if not np.isfinite(probability).all():
        return False
    if probability.ndim == 3:
        return len(np.unique(probability.argmax(axis=-1))) > 1
    return bool(probability.min() < level < probability.max())


def plot_boundaries(data_path, boundary_paths, metrics_paths, dataset, paths):
    """One panel per activation: the final boundary of the first seed."""
    X, y, _ = validation_points(data_path)
    runs = read_metrics(metrics_paths)
    figure, axes = panel_grid(len(boundary_paths), (3.6, 3.6), row_length(runs), is_tuned(runs))
    for ax, boundary_path, run in zip(axes.flat, boundary_paths, runs):
        with np.load(boundary_path) as boundary:
            if run["diverged"] or not len(boundary["epochs"]):
                blank(ax, diverged_note(run), title=f"{run_label(run, wrap=True)}: diverged")
                continue
            draw_boundary(ax, boundary["xx"], boundary["yy"], boundary["probabilities"][-1], X, y)
        ax.set_title(f"{run_label(run, wrap=True)}  val_acc={run['val_accuracy']:.3f}")
    seeds = ", ".join(str(seed) for seed in sorted({run["seed"] for run in runs}))
    figure.suptitle(f"{dataset}: decision boundaries (seed {seeds})")
    save(figure, paths)


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
    X, y, _ = validation_points(data_path)
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
            draw_snapshot(ax, run, boundary, snapshots.get(epoch), epoch, X, y)
            if row == 0:
                ax.set_title(f"final (epoch {epoch})" if epoch == final else f"epoch {epoch}")
            if column == 0:
                label = run_label(run, wrap=True) + (" (diverged)" if run["diverged"] else "")
                ax.set_ylabel(label, fontsize=11)
    seed = metrics[0]["seed"] if metrics else "?"
    figure.suptitle(f"{dataset}: decision boundary during training (seed {seed})")
    save(figure, paths)


def draw_snapshot(ax, run, boundary, probability, epoch, X, y):
    """One cell of the evolution grid: the boundary at ``epoch``, or why not."""
    if probability is not None and np.isfinite(probability).all():
        draw_boundary(ax, boundary["xx"], boundary["yy"], probability, X, y)
    elif run["diverged"] and (run.get("diverged_epoch") is None or epoch >= run["diverged_epoch"]):
        blank(ax, diverged_note(run))
    else:
        blank(ax, "no snapshot")


def plot_seed_boundaries(data_path, boundary_paths, metrics_paths, dataset, paths):
    """Run-to-run variability: the final 0.5 boundary of every seed, overlaid,
    one panel per activation (multiclass: every boundary between the argmax
    regions). Diverged seeds are listed, not drawn."""
    X, y, multiclass = validation_points(data_path)
    runs = read_metrics(metrics_paths)
    by_activation = {}
    for run, path in zip(runs, boundary_paths, strict=True):
        by_activation.setdefault(run_label(run, wrap=True), []).append((run, path))
    seeds = sorted({run["seed"] for run in runs})
    colours = {seed: plt.get_cmap("tab10")(i % 10) for i, seed in enumerate(seeds)}
    figure, axes = panel_grid(len(by_activation), (3.8, 4.2), row_length(runs), is_tuned(runs))
    for ax, (activation, members) in zip(axes.flat, by_activation.items()):
        draw_points(ax, X, y, multiclass, size=10, alpha=0.35)
        handles, notes = draw_seed_boundaries(ax, members, colours, multiclass)
        if handles:
            ax.legend(handles=handles, fontsize=7, loc="upper right", framealpha=0.7)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{activation}: {len(handles)}/{len(members)} boundaries")
        if notes:
            ax.set_xlabel("\n".join(notes), color="darkred", fontsize=8)
    which = "class boundaries" if multiclass else "0.5 boundary"
    figure.suptitle(f"{dataset}: final {which} of every seed ({len(seeds)} seeds)")
    save(figure, paths)


def draw_seed_boundaries(ax, members, colours, multiclass):
    """The final boundary of each (run, boundary path) in ``members``, in its
    seed's colour. Returns the legend handles of the drawn seeds and a note
    for each seed not drawn."""
    handles, notes = [], []
    for run, path in members:
        seed = run["seed"]
        if run["diverged"]:
            notes.append(f"seed {seed}: {diverged_note(run)}")
            continue
        boundary = load_boundary(path)
        probability = boundary["probabilities"][-1]
        if not has_boundary(probability):
            notes.append(f"seed {seed}: no boundary ({one_side(probability, multiclass)})")
            continue
        if multiclass:
            draw_class_boundaries(ax, boundary["xx"], boundary["yy"], probability, colours[seed], 1.6)
        else:
            ax.contour(
                boundary["xx"], boundary["yy"], probability, levels=[0.5], colors=[colours[seed]], linewidths=1.6
            )
        handles.append(plt.Line2D([], [], color=colours[seed], lw=1.6, label=f"seed {seed}"))
    return handles, notes


def one_side(probability, multiclass):
    """What a grid without a boundary predicts everywhere."""
    if multiclass:
        return f"all class {probability.argmax(axis=-1).flat[0]}"
    return "all positive" if np.nanmin(probability) >= 0.5 else "all negative"
