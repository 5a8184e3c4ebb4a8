"""What several figures share: runs read into one table, panel titles, panel
grids, and the panel that says why there is nothing to draw. No TensorFlow."""

import matplotlib.pyplot as plt
import pandas as pd

from actzoo.aggregate import read_json
from actzoo.labels import with_settings


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


def finite_with_label(runs):
    """One activation's rows of ``load_runs`` without its diverged seeds, and
    its legend label, which counts the diverged seeds left out."""
    diverged = runs.loc[runs["diverged"], "seed"].nunique()
    label = runs["label"].iloc[0] + (f" ({diverged} diverged)" if diverged else "")
    return runs[~runs["diverged"]], label


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


def blank(ax, message, title=None):
    """A panel that states why there is nothing to draw (diverged, missing)."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="darkred", wrap=True)
    ax.set_facecolor("#f4f4f4")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)


def blank_figure(message, title):
    """A whole figure that states why there is nothing to draw."""
    figure, ax = plt.subplots(figsize=(6, 2))
    blank(ax, message)
    figure.suptitle(title)
    return figure


def diverged_note(run):
    epoch = run.get("diverged_epoch")
    return f"diverged at epoch {epoch}" if epoch is not None else "diverged"
