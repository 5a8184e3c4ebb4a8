from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.overall import write_overall  # noqa: E402

write_overall(
    summary_path=snakemake.input.summary,
    alpha=snakemake.params.alpha,
    table_path=snakemake.output.table,
    markdown_path=snakemake.output.markdown,
    figure_paths=[snakemake.output.png, snakemake.output.svg],
)
