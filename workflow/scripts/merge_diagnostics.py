from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.aggregate import write_diagnostics  # noqa: E402

write_diagnostics(
    diagnostics_paths=snakemake.input.diagnostics,
    metrics_paths=snakemake.input.metrics,
    path=snakemake.output[0],
)
