from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.tuning import write_selection  # noqa: E402

write_selection(
    metrics_paths=snakemake.input.metrics,
    grid=snakemake.params.grid,
    objective=snakemake.params.objective,
    scores_path=snakemake.output.scores,
    selected_path=snakemake.output.selected,
)
