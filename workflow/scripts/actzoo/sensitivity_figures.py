"""Sensitivity: how much the tuned settings' choice matters, from the tuning runs' scores."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from actzoo.figure_output import save
from actzoo.figure_parts import blank_figure
from actzoo.labels import format_value, with_settings

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
        return blank_figure(f"no tuning runs of {dataset}", f"{dataset}: sensitivity to the tuned settings")
    variants = list(dict.fromkeys(selected["model"])) if "model" in selected.columns else [None]
    figure, axes = plt.subplots(
        len(variants), len(keys), figsize=(4.2 * len(keys) + 3.5, 3.6 * len(variants)),
        sharey="row", squeeze=False, constrained_layout=True,
    )  # fmt: skip
    for row, variant in zip(axes, variants):
        runs = scores[scores["model"] == variant] if variant is not None else scores
        choices = selected[selected["model"] == variant] if variant is not None else selected
        draw_sensitivity_row(row, runs, choices, keys, variant)
    n_seeds = scores["seed"].nunique()
    title = f"{dataset}: sensitivity to the tuned settings, mean over {n_seeds} tuning seed(s), band = min-max"
    if len(keys) > 1:
        title += ";\nalong each key, the other keys at each activation's chosen values"
    figure.suptitle(title)
    return figure


def draw_sensitivity_row(row, runs, choices, keys, variant):
    """One model variant's panels (one per key): every activation's profile,
    the legend beside the row and the objective on the y axis."""
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
        style_key_axis(ax, key, grid[key], variant)
    # Beside the row, not over its data (constrained layout makes room).
    row[-1].legend(handles=handles, title="activation · chosen settings", fontsize=8, title_fontsize=8,
                   loc="upper left", bbox_to_anchor=(1.02, 1))  # fmt: skip
    objective = choices["objective"].iloc[0]
    name, better = OBJECTIVES.get(objective, (objective, None))
    row[0].set_ylabel(f"{name}\n({better})" if better else name)


def style_key_axis(ax, key, grid, variant):
    """A key's x axis: its grid values (log-scaled if they span a decade) and title."""
    values, numeric = grid
    if numeric and min(values) > 0 and max(values) >= 10 * min(values):
        ax.set_xscale("log")
        ax.minorticks_off()
    ax.set_xticks(values if numeric else range(len(values)), [format_value(v) for v in values])
    ax.set_xlabel(key)
    ax.set_title(key if variant is None else f"{variant} · {key}", fontsize=10)
    ax.grid(alpha=0.3)


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
