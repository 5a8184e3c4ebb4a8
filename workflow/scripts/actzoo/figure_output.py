"""Saving a figure as PNG and SVG with the same bytes on every run.

Its own small module, shared by every figure: the code hash follows imports
(docs/reproducibility.md), so editing it reruns every figure, and editing one
figure's module reruns that figure alone.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

# Deterministic SVG ids and no timestamp or version, so identical figures are identical files.
matplotlib.rcParams["svg.hashsalt"] = "actzoo"
METADATA = {"svg": {"Date": None}, "png": {"Software": None}}


def save(figure, paths):
    """Write ``figure`` to each of ``paths`` (format from the suffix) and close it."""
    for path in paths:
        figure.savefig(path, dpi=110, bbox_inches="tight", metadata=METADATA[str(path).rsplit(".", 1)[-1]])
    plt.close(figure)
