import os
import sys

# Python's and TensorFlow's C++ messages both go to the job's log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)
os.dup2(sys.stderr.fileno(), 2)

from actzoo.plots import plot_evolution

plot_evolution(
    snakemake.input.data,
    snakemake.input.boundaries,
    snakemake.input.metrics,
    snakemake.params.dataset,
    snakemake.output,
)
