from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.curve_figures import plot_curves  # noqa: E402

plot_curves(
    history_paths=snakemake.input.histories,
    metrics_paths=snakemake.input.metrics,
    dataset=snakemake.params.dataset,
    paths=snakemake.output,
)
