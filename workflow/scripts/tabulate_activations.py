import os
import sys

# Python's and TensorFlow's C++ messages both go to the job's log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)
os.dup2(sys.stderr.fileno(), 2)

import numpy as np

from actzoo.models import tabulate

np.savez(snakemake.output[0], **tabulate(snakemake.params.activations, snakemake.params.x_range))
