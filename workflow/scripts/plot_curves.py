import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from actzoo.plots import load_runs, plot_curves

table = load_runs(snakemake.input.histories, snakemake.input.metrics)
plot_curves(table, snakemake.params.dataset, snakemake.output)
