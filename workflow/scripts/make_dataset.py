import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

import numpy as np

from actzoo.datasets import make_dataset

spec = dict(snakemake.params.spec)
data = make_dataset(spec.pop("generator"), spec.pop("validation_fraction"), spec.pop("random_state"), **spec)
np.savez(snakemake.output[0], **data)
