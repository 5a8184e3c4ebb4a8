from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.aggregate import write_tables  # noqa: E402

write_tables(
    history_paths=snakemake.input.histories,
    metrics_paths=snakemake.input.metrics,
    histories=snakemake.output.histories,
    runs=snakemake.output.runs,
    provenance=snakemake.output.provenance,
)
