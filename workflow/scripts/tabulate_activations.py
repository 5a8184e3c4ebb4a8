import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

import numpy as np

from actzoo.models import tabulate

np.savez(snakemake.output[0], **tabulate(snakemake.params.activations, snakemake.params.x_range))
