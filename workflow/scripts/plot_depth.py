from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.depth_figures import plot_depth  # noqa: E402

plot_depth(
    diagnostics_path=snakemake.input.diagnostics,
    runs_path=snakemake.input.runs,
    depths=snakemake.params.depths,
    dataset=snakemake.params.dataset,
    paths=snakemake.output,
)
