"""Curves: the learning curves of each data set and the activation zoo."""

import matplotlib.pyplot as plt
import numpy as np

from actzoo.figure_output import save
from actzoo.figure_parts import finite_with_label, load_runs


def plot_curves(history_paths, metrics_paths, dataset, paths):
    """The lesson's plot: validation loss and accuracy per epoch, one line per
    activation (mean over seeds) with a min-max band, one row per model
    variant. Diverged seeds are left out of the band and counted in the legend."""
    table = load_runs(history_paths, metrics_paths)
    variants = list(dict.fromkeys(table["model"]))
    figure, axes = plt.subplots(len(variants), 2, figsize=(11, 4 * len(variants)), squeeze=False)
    for row, variant in zip(axes, variants):
        draw_curve_row(row, table[table["model"] == variant] if variant is not None else table)
        row[0].legend(title="activation" if variant is None else f"{variant}: activation")
    n_seeds = table["seed"].nunique()
    figure.suptitle(f"{dataset}: mean over {n_seeds} seed(s), band = min-max")
    save(figure, paths)


def draw_curve_row(row, table):
    """One model variant's validation loss and accuracy (two axes)."""
    for _, runs in table.groupby("activation", sort=False):
        finite, label = finite_with_label(runs)
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
