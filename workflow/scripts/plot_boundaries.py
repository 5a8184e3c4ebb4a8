from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.boundary_figures import plot_boundaries  # noqa: E402

plot_boundaries(
    data_path=snakemake.input.data,
    boundary_paths=snakemake.input.boundaries,
    metrics_paths=snakemake.input.metrics,
    dataset=snakemake.params.dataset,
    paths=snakemake.output,
)
