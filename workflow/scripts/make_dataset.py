import os
import sys

# Python's and TensorFlow's C++ messages both go to the job's log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)
os.dup2(sys.stderr.fileno(), 2)

import numpy as np

from actzoo.datasets import make_dataset

spec = dict(snakemake.params.spec)
data = make_dataset(spec.pop("generator"), spec.pop("validation_fraction"), spec.pop("random_state"), **spec)
np.savez(snakemake.output[0], **data)
