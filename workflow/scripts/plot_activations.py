import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

import numpy as np

from actzoo.plots import plot_activations

with np.load(snakemake.input[0]) as table:
    plot_activations(dict(table), snakemake.output)
