from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.sensitivity_figures import plot_sensitivity  # noqa: E402

plot_sensitivity(
    scores_path=snakemake.input.scores,
    selected_path=snakemake.input.selected,
    dataset=snakemake.params.dataset,
    paths=snakemake.output,
)
