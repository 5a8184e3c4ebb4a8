import os
import sys

# Python's and TensorFlow's C++ messages both go to the job's log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)
os.dup2(sys.stderr.fileno(), 2)

from actzoo.plots import load_runs, plot_curves

table = load_runs(snakemake.input.histories, snakemake.input.metrics)
plot_curves(table, snakemake.params.dataset, snakemake.output)
