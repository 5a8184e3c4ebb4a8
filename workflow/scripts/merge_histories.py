import os
import sys

# Python's and TensorFlow's C++ messages both go to the job's log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)
os.dup2(sys.stderr.fileno(), 2)

import json

from actzoo.aggregate import merge_histories, provenance, read_metrics, runs_table

metrics = read_metrics(snakemake.input.metrics)
merge_histories(snakemake.input.histories, metrics).to_csv(snakemake.output.histories, index=False)
runs_table(metrics).to_csv(snakemake.output.runs, index=False)
with open(snakemake.output.provenance, "w") as handle:
    json.dump(provenance(metrics), handle, indent=2, sort_keys=True)
