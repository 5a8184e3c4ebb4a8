"""Depth: whether the answer holds as the network deepens (model variants)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from actzoo.figure_output import save

TITLES = (
    "final validation loss",
    "gradient norm of hidden layer 1, epoch 1",
    "runs ending with a dead layer (%)",
)


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
        inside = diagnostics[diagnostics["activation"] == activation]
        loss, gradient, dead = zip(*(variant_point(mine, inside, name) for name in variants))
        for ax, values in zip(axes[:2], (np.array(loss), np.array(gradient))):
            ax.plot(x, values[:, 0], "o-", color=colour, label=activation)
            ax.fill_between(x, values[:, 1], values[:, 2], color=colour, alpha=0.15)
        axes[2].plot(x, list(dead), "o-", color=colour, label=activation)
    axes[1].set_yscale("log")
    axes[2].set_ylim(-4, 104)
    for ax, title in zip(axes, TITLES):
        ax.set_xticks(x, [f"{name}\n{depths[name]} hidden layer(s)" for name in variants], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(title="activation", fontsize=8)
    n_seeds = runs["seed"].nunique()
    figure.suptitle(f"{dataset}: depth, mean over {n_seeds} seed(s), band = min-max")
    save(figure, paths)


def variant_point(runs, diagnostics, name):
    """One activation's three values for variant ``name``: [mean, min, max] of
    the final validation loss and of the first layer's epoch-1 gradient norm
    (finished runs), and the percentage of runs that end with a dead layer."""
    these = runs[runs["model"] == name]
    finished = these.loc[~these["diverged"], "val_loss"]
    inside = diagnostics[diagnostics["model"] == name]
    first = inside.loc[(inside["epoch"] == 1) & (inside["layer"] == 1)]
    first = first[first["seed"].isin(these.loc[~these["diverged"], "seed"])]["grad_norm"]
    last = inside[inside["epoch"] == inside.groupby("seed")["epoch"].transform("max")]
    collapsed = last.groupby("seed")["dead_units"].max() >= 1
    dead = 100 * collapsed.sum() / len(these) if len(these) else np.nan
    return [finished.mean(), finished.min(), finished.max()], [first.mean(), first.min(), first.max()], dead
