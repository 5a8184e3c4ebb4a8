"""Inside the network: per hidden layer, gradient norms, activation
statistics and flat or dead units during training."""

import matplotlib.pyplot as plt

from actzoo.figure_output import save
from actzoo.figure_parts import blank_figure, finite_with_label, load_runs

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
        message = "no diagnostics recorded: training.diagnostics is off, or the keras_fit engine trained"
        save(blank_figure(message, f"{dataset}: inside the network"), paths)
        return
    layers = sorted(table["layer"].unique())
    figure, axes = plt.subplots(
        len(DIAGNOSTICS), len(layers), figsize=(max(2.3 * len(layers), 5.0), 9.5),
        sharex=True, sharey="row", squeeze=False, constrained_layout=True,
    )  # fmt: skip
    handles = draw_measures(axes, table, layers)
    style_measure_axes(axes, table, layers)
    n_seeds = table["seed"].nunique()
    figure.legend(handles=handles, title="activation", loc="outside lower center", ncols=min(len(handles), 6))
    figure.suptitle(f"{dataset}: inside the network, mean over {n_seeds} seed(s), band = min-max")
    save(figure, paths)


def draw_measures(axes, table, layers):
    """Every activation's mean and band in every (measure, layer) panel;
    returns the legend's handles."""
    measures = [measure for measure, _ in DIAGNOSTICS]
    handles = []
    for _, runs in table.groupby("activation", sort=False):
        finite, label = finite_with_label(runs)
        colour = f"C{len(handles) % 10}"
        handles.append(plt.Line2D([], [], color=colour, label=label + ("" if len(finite) else " - no finite run")))
        for column, layer in enumerate(layers):
            stats = finite[finite["layer"] == layer].groupby("epoch")[measures].agg(["mean", "min", "max"])
            for row, measure in enumerate(measures):
                ax = axes[row, column]
                ax.plot(stats.index, stats[measure]["mean"], color=colour, lw=1.3)
                ax.fill_between(stats.index, stats[measure]["min"], stats[measure]["max"], color=colour, alpha=0.2)
    return handles


def style_measure_axes(axes, table, layers):
    """Scales, labels and titles of the diagnostics grid."""
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
