"""Figures, drawn from saved tables and grids: no TensorFlow here."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from actzoo.aggregate import read_json, read_metrics  # noqa: E402
from actzoo.labels import format_value, with_settings  # noqa: E402

# Deterministic SVG ids and no timestamp, so identical figures are identical files.
matplotlib.rcParams["svg.hashsalt"] = "actzoo"
METADATA = {"svg": {"Date": None}, "png": {"Software": None}}


def save(figure, paths):
    for path in paths:
        figure.savefig(path, dpi=110, bbox_inches="tight", metadata=METADATA[str(path).rsplit(".", 1)[-1]])
    plt.close(figure)


def load_runs(history_paths, metrics_paths):
    """One frame of all histories with model/activation/seed/diverged columns
    (model: the variant's name, or None without variants) and ``label``, the
    activation as figures name it (with its tuned settings, if tuned)."""
    frames = []
    for history, metrics in zip(history_paths, metrics_paths, strict=True):
        run = read_json(metrics)
        frame = pd.read_csv(history)
        frame["model"], frame["activation"] = run.get("model"), run["activation"]
        frame["seed"], frame["diverged"] = run["seed"], run["diverged"]
        frame["label"] = with_settings(run["activation"], run.get("tuned"))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def row_length(runs):
    """Panels per row: with model variants, one row per variant (its activations)."""
    if runs and runs[0].get("model") is not None:
        return len({run["activation"] for run in runs})
    return 4


def is_tuned(runs):
    return any(run.get("tuned") for run in runs)


def run_label(run, wrap=False):
    """An activation, prefixed by its model variant if there are variants and
    followed by its tuned settings if it was tuned (with ``wrap``, on a second
    line: panel titles are narrow)."""
    name = f"{run['model']} · {run['activation']}" if run.get("model") is not None else run["activation"]
    return with_settings(name, run.get("tuned"), wrap)


def plot_curves(history_paths, metrics_paths, dataset, paths):
    """The lesson's plot: validation loss and accuracy per epoch, one line per
    activation (mean over seeds) with a min-max band, one row per model
    variant. Diverged seeds are left out of the band and counted in the legend."""
    table = load_runs(history_paths, metrics_paths)
    variants = list(dict.fromkeys(table["model"]))
    figure, axes = plt.subplots(len(variants), 2, figsize=(11, 4 * len(variants)), squeeze=False)
    for row, variant in zip(axes, variants):
        mine = table[table["model"] == variant] if variant is not None else table
        for _, runs in mine.groupby("activation", sort=False):
            diverged = runs.loc[runs["diverged"], "seed"].nunique()
            finite = runs[~runs["diverged"]]
            label = runs["label"].iloc[0] + (f" ({diverged} diverged)" if diverged else "")
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


# The rows of the diagnostics figure: column of diagnostics.csv, axis label.
DIAGNOSTICS = [
    ("grad_norm", "gradient norm\n|dL/dW|"),
    ("act_mean", "output mean"),
    ("act_std", "output std"),
    ("flat_fraction", "flat fraction\n|f'| < 1% of peak"),
    ("dead_units", "dead units\n(flat on every sample)"),
]


def plot_diagnostics(diagnostics_paths, metrics_paths, dataset, paths):
    """Inside the network: one row per measure, one column per hidden layer
    (input side first), one line per activation (mean over seeds) with a
    min-max band. Diverged seeds are left out and counted in the legend, as in
    ``plot_curves``. The gradient row is logarithmic above its smallest
    positive value and linear below it, so that a zero gradient still shows."""
    table = load_runs(diagnostics_paths, metrics_paths)
    if table.empty:
        figure, ax = plt.subplots(figsize=(6, 2))
        _blank(ax, "no diagnostics recorded: training.diagnostics is off, or the keras_fit engine trained")
        figure.suptitle(f"{dataset}: inside the network")
        save(figure, paths)
        return
    layers = sorted(table["layer"].unique())
    measures = [measure for measure, _ in DIAGNOSTICS]
    figure, axes = plt.subplots(
        len(DIAGNOSTICS), len(layers), figsize=(max(2.3 * len(layers), 5.0), 9.5),
        sharex=True, sharey="row", squeeze=False, constrained_layout=True,
    )  # fmt: skip
    handles = []
    for _, runs in table.groupby("activation", sort=False):
        diverged = runs.loc[runs["diverged"], "seed"].nunique()
        finite = runs[~runs["diverged"]]
        label = runs["label"].iloc[0] + (f" ({diverged} diverged)" if diverged else "")
        colour = f"C{len(handles) % 10}"
        handles.append(plt.Line2D([], [], color=colour, label=label + ("" if len(finite) else " - no finite run")))
        for column, layer in enumerate(layers):
            stats = finite[finite["layer"] == layer].groupby("epoch")[measures].agg(["mean", "min", "max"])
            for row, measure in enumerate(measures):
                ax = axes[row, column]
                ax.plot(stats.index, stats[measure]["mean"], color=colour, lw=1.3)
                ax.fill_between(stats.index, stats[measure]["min"], stats[measure]["max"], color=colour, alpha=0.2)
    gradients = table.loc[~table["diverged"], "grad_norm"]
    if (gradients > 0).any():
        axes[0, 0].set_yscale("symlog", linthresh=float(gradients[gradients > 0].min()))
        axes[0, 0].set_ylim(bottom=0)
        axes[0, 0].yaxis.get_major_locator().set_params(numticks=6)
    for row, (_, name) in enumerate(DIAGNOSTICS):
        axes[row, 0].set_ylabel(name, fontsize=9)
    for ax in axes[3:].flat:
        ax.set_ylim(-0.04, 1.04)
    for column, layer in enumerate(layers):
        title = f"hidden layer {layer}" + (" (input side)" if column == 0 and len(layers) > 1 else "")
        axes[0, column].set_title(title, fontsize=10)
        axes[-1, column].set_xlabel("epoch (0 = initial weights)" if column == 0 else "epoch")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    n_seeds = table["seed"].nunique()
    figure.legend(handles=handles, title="activation", loc="outside lower center", ncols=min(len(handles), 6))
    figure.suptitle(f"{dataset}: inside the network, mean over {n_seeds} seed(s), band = min-max")
    save(figure, paths)


CLASS_COLOURS = plt.get_cmap("tab10").colors
CLASS_MARKERS = "oxs^vD+*<>"


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
    data (a class axis) the argmax regions and the boundaries between them;
    then the points."""
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


def panel_grid(n, panel_size, max_columns=4, tuned=False):
    """A figure with ``n`` panels in rows of at most ``max_columns``. Panels
    of ``tuned`` runs have two-line titles: constrained layout keeps them
    clear of the suptitle (untuned figures keep their layout)."""
    columns = min(n, max_columns)
    rows = -(-n // columns)
    width, height = panel_size
    figure, axes = plt.subplots(
        rows, columns, figsize=(width * columns, height * rows), squeeze=False, layout="constrained" if tuned else None
    )
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
    figure, axes = panel_grid(len(boundary_paths), (3.6, 3.6), row_length(runs), is_tuned(runs))
    for ax, boundary_path, run in zip(axes.flat, boundary_paths, runs):
        with np.load(boundary_path) as boundary:
            if run["diverged"] or not len(boundary["epochs"]):
                _blank(ax, _diverged_note(run), title=f"{run_label(run, wrap=True)}: diverged")
                continue
            draw_boundary(ax, boundary["xx"], boundary["yy"], boundary["probabilities"][-1], X, y)
        ax.set_title(f"{run_label(run, wrap=True)}  val_acc={run['val_accuracy']:.3f}")
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
                label = run_label(run, wrap=True) + (" (diverged)" if run["diverged"] else "")
                ax.set_ylabel(label, fontsize=11)
    seed = metrics[0]["seed"] if metrics else "?"
    figure.suptitle(f"{dataset}: decision boundary during training (seed {seed})")
    save(figure, paths)


def has_boundary(probability, level=0.5):
    """Whether the ``level`` contour exists: finite and on both sides of it;
    for multiclass data, whether more than one class is predicted."""
    if not np.isfinite(probability).all():
        return False
    if probability.ndim == 3:
        return len(np.unique(probability.argmax(axis=-1))) > 1
    return bool(probability.min() < level < probability.max())


def plot_seed_boundaries(data_path, boundary_paths, metrics_paths, dataset, paths):
    """Run-to-run variability: the final 0.5 boundary of every seed, overlaid,
    one panel per activation (multiclass: every boundary between the argmax
    regions). Diverged seeds are listed, not drawn."""
    with np.load(data_path) as data:
        X, y = data["X_val"], data["y_val"]
        multiclass = "task" in data.files and str(data["task"]) == "multiclass"
    runs = read_metrics(metrics_paths)
    by_activation = {}
    for run, path in zip(runs, boundary_paths, strict=True):
        by_activation.setdefault(run_label(run, wrap=True), []).append((run, path))
    seeds = sorted({run["seed"] for run in runs})
    colours = {seed: plt.get_cmap("tab10")(i % 10) for i, seed in enumerate(seeds)}
    figure, axes = panel_grid(len(by_activation), (3.8, 4.2), row_length(runs), is_tuned(runs))
    for ax, (activation, members) in zip(axes.flat, by_activation.items()):
        draw_points(ax, X, y, multiclass, size=10, alpha=0.35)
        handles, notes = [], []
        for run, path in members:
            seed = run["seed"]
            if run["diverged"]:
                notes.append(f"seed {seed}: {_diverged_note(run)}")
                continue
            boundary = load_boundary(path)
            probability = boundary["probabilities"][-1]
            if not has_boundary(probability):
                if multiclass:
                    side = f"all class {probability.argmax(axis=-1).flat[0]}"
                else:
                    side = "all positive" if np.nanmin(probability) >= 0.5 else "all negative"
                notes.append(f"seed {seed}: no boundary ({side})")
                continue
            if multiclass:
                draw_class_boundaries(ax, boundary["xx"], boundary["yy"], probability, colours[seed], 1.6)
            else:
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
    which = "class boundaries" if multiclass else "0.5 boundary"
    figure.suptitle(f"{dataset}: final {which} of every seed ({len(seeds)} seeds)")
    save(figure, paths)


def plot_depth(diagnostics_path, runs_path, depths, dataset, paths):
    """Does the answer hold as the network deepens? Against the model
    variants (ordered by depth): the final validation loss, the first hidden
    layer's gradient norm in epoch 1 (log scale), and the share of runs that
    end with a dead layer (every unit flat on every training sample, so the
    network predicts a constant). One line per activation, mean over seeds
    with a min-max band; diverged runs are left out of the first two."""
    runs = pd.read_csv(runs_path)
    runs = runs[runs["dataset"] == dataset].assign(diverged=lambda t: t["diverged"].astype(bool))
    diagnostics = pd.read_csv(diagnostics_path)
    diagnostics = diagnostics[diagnostics["dataset"] == dataset]
    variants = sorted(depths, key=lambda name: depths[name])
    x = np.arange(len(variants))
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.4), constrained_layout=True)
    for i, (activation, mine) in enumerate(runs.groupby("activation", sort=False)):
        colour = f"C{i % 10}"
        loss, gradient, dead = [], [], []
        for name in variants:
            these = mine[mine["model"] == name]
            finished = these.loc[~these["diverged"], "val_loss"]
            loss.append([finished.mean(), finished.min(), finished.max()])
            inside = diagnostics[(diagnostics["model"] == name) & (diagnostics["activation"] == activation)]
            first = inside.loc[(inside["epoch"] == 1) & (inside["layer"] == 1)]
            first = first[first["seed"].isin(these.loc[~these["diverged"], "seed"])]["grad_norm"]
            gradient.append([first.mean(), first.min(), first.max()])
            last = inside[inside["epoch"] == inside.groupby("seed")["epoch"].transform("max")]
            collapsed = last.groupby("seed")["dead_units"].max() >= 1
            dead.append(100 * collapsed.sum() / len(these) if len(these) else np.nan)
        for ax, values in zip(axes[:2], (np.array(loss), np.array(gradient))):
            ax.plot(x, values[:, 0], "o-", color=colour, label=activation)
            ax.fill_between(x, values[:, 1], values[:, 2], color=colour, alpha=0.15)
        axes[2].plot(x, dead, "o-", color=colour, label=activation)
    axes[1].set_yscale("log")
    axes[2].set_ylim(-4, 104)
    titles = (
        "final validation loss",
        "gradient norm of hidden layer 1, epoch 1",
        "runs ending with a dead layer (%)",
    )
    for ax, title in zip(axes, titles):
        ax.set_xticks(x, [f"{name}\n{depths[name]} hidden layer(s)" for name in variants], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(title="activation", fontsize=8)
    n_seeds = runs["seed"].nunique()
    figure.suptitle(f"{dataset}: depth, mean over {n_seeds} seed(s), band = min-max")
    save(figure, paths)


# What a tuning objective is called on an axis, and which way is better.
OBJECTIVES = {
    "val_loss": ("final validation loss", "lower is better"),
    "val_accuracy": ("final validation accuracy", "higher is better"),
}


def tuned_keys(scores):
    """The tuned keys of results/tuning/scores.csv, in grid order: its columns
    between ``seed`` and ``val_loss``."""
    columns = list(scores.columns)
    return columns[columns.index("seed") + 1 : columns.index("val_loss")]


def matches(column, value):
    """Rows of ``column`` equal to ``value``; numbers compared with a relative
    tolerance, so a value written by two tables still matches after rounding."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return np.isclose(column.to_numpy(dtype=float), float(value), rtol=1e-9, atol=0.0)
    return (column.astype(str) == str(value)).to_numpy()


def profile(runs, keys, key, chosen):
    """The tuning runs that vary ``key`` with every other tuned key at its
    ``chosen`` value: the line through the chosen point along ``key``."""
    keep = np.ones(len(runs), dtype=bool)
    for other in keys:
        if other != key:
            keep &= matches(runs[other], chosen[other])
    return runs[keep]


def axis_values(values):
    """The grid values of a key in the order they are drawn, and whether they
    are numbers: numbers ascending, names in grid (first seen) order."""
    values = list(dict.fromkeys(values))
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) for v in values)
    return (sorted(values) if numeric else values), numeric


def sensitivity_figure(scores_path, selected_path, dataset):
    """How much the choice matters: one panel per tuned key (columns), one row
    per model variant. Per activation, the objective's mean over the tuning
    seeds along the key, the other keys held at that activation's chosen
    values, with a min-max band over the seeds, and the chosen value ringed.
    Diverged runs are left out of means and bands, and counted in the legend;
    a value where every seed diverged is a gap in the line, marked x on the
    bottom edge."""
    scores, selected = pd.read_csv(scores_path), pd.read_csv(selected_path)
    keys = tuned_keys(scores)
    scores = scores[scores["dataset"] == dataset].assign(diverged=lambda t: t["diverged"].astype(bool))
    selected = selected[selected["dataset"] == dataset]
    if scores.empty or selected.empty:
        figure, ax = plt.subplots(figsize=(6, 2))
        _blank(ax, f"no tuning runs of {dataset}")
        figure.suptitle(f"{dataset}: sensitivity to the tuned settings")
        return figure
    variants = list(dict.fromkeys(selected["model"])) if "model" in selected.columns else [None]
    figure, axes = plt.subplots(
        len(variants), len(keys), figsize=(4.2 * len(keys) + 3.5, 3.6 * len(variants)),
        sharey="row", squeeze=False, constrained_layout=True,
    )  # fmt: skip
    for row, variant in zip(axes, variants):
        runs = scores[scores["model"] == variant] if variant is not None else scores
        choices = selected[selected["model"] == variant] if variant is not None else selected
        # One x axis per key for every activation of the row: grid values, or
        # positions 0, 1, ... of names.
        grid = {key: axis_values(runs[key]) for key in keys}
        handles, gaps = [], False
        for i, choice in enumerate(choices.to_dict("records")):
            colour = f"C{i % 10}"
            mine = runs[runs["activation"] == choice["activation"]]
            lines = {key: profile(mine, keys, key, choice) for key in keys}
            for ax, key in zip(row, keys):
                gaps |= draw_profile(ax, lines[key], key, grid[key], choice, colour)
            # A run on several profiles (the chosen point's) is counted once.
            diverged = int(pd.concat(lines.values()).drop_duplicates(["point", "seed"])["diverged"].sum())
            label = with_settings(choice["activation"], {key: choice[key] for key in keys})
            label += f" ({diverged} diverged run(s) left out)" if diverged else ""
            handles.append(plt.Line2D([], [], color=colour, marker="o", ms=4, label=label))
        handles.append(plt.Line2D([], [], color="black", marker="o", ms=11, mfc="none", ls="", label="chosen value"))
        if gaps:
            handles.append(plt.Line2D([], [], color="black", marker="x", mew=2, ls="", label="every seed diverged"))
        for ax, key in zip(row, keys):
            values, numeric = grid[key]
            if numeric and min(values) > 0 and max(values) >= 10 * min(values):
                ax.set_xscale("log")
                ax.minorticks_off()
            ax.set_xticks(values if numeric else range(len(values)), [format_value(v) for v in values])
            ax.set_xlabel(key)
            ax.set_title(key if variant is None else f"{variant} · {key}", fontsize=10)
            ax.grid(alpha=0.3)
        # Beside the row, not over its data (constrained layout makes room).
        row[-1].legend(handles=handles, title="activation · chosen settings", fontsize=8, title_fontsize=8,
                       loc="upper left", bbox_to_anchor=(1.02, 1))  # fmt: skip
        objective = choices["objective"].iloc[0]
        name, better = OBJECTIVES.get(objective, (objective, None))
        row[0].set_ylabel(f"{name}\n({better})" if better else name)
    n_seeds = scores["seed"].nunique()
    title = f"{dataset}: sensitivity to the tuned settings, mean over {n_seeds} tuning seed(s), band = min-max"
    if len(keys) > 1:
        title += ";\nalong each key, the other keys at each activation's chosen values"
    figure.suptitle(title)
    return figure


def draw_profile(ax, line, key, grid, choice, colour):
    """One activation's profile along ``key`` (the tuning runs ``line``):
    mean and min-max band of its objective over the finite runs at each grid
    value, and a ring on the chosen value. Returns whether some value had
    only diverged runs (marked x)."""
    values, numeric = grid
    position = dict(zip(values, values if numeric else range(len(values))))
    stats = line[~line["diverged"]].groupby(key)[choice["objective"]].agg(["mean", "min", "max"])
    stats = stats.reindex(values)  # a value where every seed diverged: NaN, a gap in the line
    x = [position[v] for v in values]
    # Labels starting "_" stay out of the legend; they name the artists for tests.
    name = choice["activation"]
    ax.plot(x, stats["mean"], "o-", color=colour, ms=4, lw=1.5, label=f"_mean {name}")
    ax.fill_between(x, stats["min"], stats["max"], color=colour, alpha=0.15, lw=0, label=f"_band {name}")
    lost = [position[v] for v in values if np.isnan(stats.loc[v, "mean"]) and v in set(line[key])]
    if lost:  # (an empty unclipped line would still claim a corner of the layout)
        ax.plot(lost, [0] * len(lost), "x", color=colour, ms=7, mew=2, clip_on=False,
                transform=ax.get_xaxis_transform(), label=f"_all diverged {name}")  # fmt: skip
    chosen = [v for v in values if matches(pd.Series([v]), choice[key])[0]]
    if not chosen:
        raise ValueError(f"selected {key}={choice[key]} of {name} is not a tuned value")
    ax.plot([position[chosen[0]]], [stats.loc[chosen[0], "mean"]], "o", ms=13, mfc="none", mec=colour, mew=2,
            zorder=5, label=f"_chosen {name}")  # fmt: skip
    return bool(lost)


def plot_sensitivity(scores_path, selected_path, dataset, paths):
    """results/figures/sensitivity_{dataset}: see ``sensitivity_figure``."""
    save(sensitivity_figure(scores_path, selected_path, dataset), paths)
