import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from actzoo.plots import plot_boundaries

plot_boundaries(
    snakemake.input.data,
    snakemake.input.boundaries,
    snakemake.input.metrics,
    snakemake.params.dataset,
    snakemake.output,
)
