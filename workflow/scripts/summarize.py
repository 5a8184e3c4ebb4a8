import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

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
table = markdown(summary, params.accuracy_threshold)
with open(snakemake.output.markdown, "w") as handle:
    handle.write(table)
print(table)
