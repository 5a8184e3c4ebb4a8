from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.overall import write_overall  # noqa: E402
from actzoo.robust import write_tables  # noqa: E402

write_overall(
    summary_path=snakemake.input.summary,
    alpha=snakemake.params.alpha,
    table_path=snakemake.output.table,
    markdown_path=snakemake.output.markdown,
    figure_paths=[snakemake.output.png, snakemake.output.svg],
)
section = write_tables(
    runs_path=snakemake.input.runs,
    resamples=snakemake.params.bootstrap_resamples,
    seed=snakemake.params.bootstrap_seed,
    aggregate_path=snakemake.output.robust,
    improvement_path=snakemake.output.improvement,
    profile_path=snakemake.output.profile,
)
with open(snakemake.output.markdown, "a") as handle:  # after the rank-based answer
    handle.write("\n" + section)
