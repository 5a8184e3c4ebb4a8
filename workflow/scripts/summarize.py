import os
import sys

# Python's and TensorFlow's C++ messages both go to the job's log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)
os.dup2(sys.stderr.fileno(), 2)

import pandas as pd

from actzoo.stats import markdown, summarize

params = snakemake.params
summary, comparisons = summarize(
    pd.read_csv(snakemake.input.histories),
    pd.read_csv(snakemake.input.runs),
    threshold=params.accuracy_threshold,
    alpha=params.alpha,
)
summary.to_csv(snakemake.output.summary, index=False)
comparisons.to_csv(snakemake.output.comparisons, index=False)
# The Snakefile's onsuccess handler prints this table at the end of the run.
with open(snakemake.output.markdown, "w") as handle:
    handle.write(markdown(summary, params.accuracy_threshold, comparisons))
