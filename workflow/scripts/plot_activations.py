import os
import sys

# Python's and TensorFlow's C++ messages both go to the job's log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)
os.dup2(sys.stderr.fileno(), 2)

import numpy as np

from actzoo.plots import plot_activations

with np.load(snakemake.input[0]) as table:
    plot_activations(dict(table), snakemake.output)
