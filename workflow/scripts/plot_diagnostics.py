from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.diagnostic_figures import plot_diagnostics  # noqa: E402

plot_diagnostics(
    diagnostics_paths=snakemake.input.diagnostics,
    metrics_paths=snakemake.input.metrics,
    dataset=snakemake.params.dataset,
    paths=snakemake.output,
)
