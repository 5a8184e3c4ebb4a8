"""The robust aggregates' figures (actzoo.robust): the probability-of-improvement
matrix as a heatmap with its values written in, and the performance profile
with its bootstrap bands."""

import matplotlib.pyplot as plt
import numpy as np

from actzoo.figure_output import save


def improvement_matrix(pairs):
    """(activations, P) with P[i, j] = P(activation i > activation j), NaN on the diagonal."""
    activations = list(dict.fromkeys(list(pairs["activation_x"]) + list(pairs["activation_y"])))
    matrix = np.full((len(activations), len(activations)), np.nan)
    position = {a: i for i, a in enumerate(activations)}
    for _, row in pairs.iterrows():
        matrix[position[row["activation_x"]], position[row["activation_y"]]] = row["probability"]
    return activations, matrix


def plot_improvement(pairs, paths):
    """Heatmap of P(row > column), each cell with its value and 95% interval."""
    activations, matrix = improvement_matrix(pairs)
    lookup = pairs.set_index(["activation_x", "activation_y"]) if len(pairs) else None
    size = 1.2 + 1.1 * max(len(activations), 1)
    figure, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(matrix, cmap="RdBu", vmin=0, vmax=1)
    for i, x in enumerate(activations):
        for j, y in enumerate(activations):
            if i == j or not np.isfinite(matrix[i, j]):
                continue
            row = lookup.loc[(x, y)]
            text = f"{row['probability']:.2f}"
            if np.isfinite(row["ci95_low"]):
                text += f"\n[{row['ci95_low']:.2f}, {row['ci95_high']:.2f}]"
            ax.text(j, i, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(activations)), activations, rotation=30, ha="right")
    ax.set_yticks(range(len(activations)), activations)
    ax.set_xlabel("Y")
    ax.set_ylabel("X")
    ax.set_title(
        "P(X > Y): a run of X scores higher than one of Y\n(mean over tasks, 95% stratified bootstrap)", fontsize=9
    )
    figure.colorbar(image, ax=ax, fraction=0.046)
    save(figure, paths)


def plot_profile(profile, paths):
    """Fraction of runs scoring at least tau against tau, a line and a band per activation."""
    figure, ax = plt.subplots(figsize=(6, 4))
    for activation, table in profile.groupby("activation", sort=False) if len(profile) else []:
        (line,) = ax.plot(table["tau"], table["fraction"], label=activation)
        ax.fill_between(table["tau"], table["ci95_low"], table["ci95_high"], color=line.get_color(), alpha=0.2)
    ax.set_xlabel("τ (accuracy on the ranked split)")
    ax.set_ylabel("fraction of runs with score ≥ τ")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Performance profile (mean over tasks, 95% stratified-bootstrap bands)", fontsize=9)
    if len(profile):
        ax.legend(fontsize=8)
    save(figure, paths)
