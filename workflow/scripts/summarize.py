from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.adaptive import annotate_summary  # noqa: E402
from actzoo.summary_markdown import write_summary  # noqa: E402

write_summary(
    histories_path=snakemake.input.histories,
    runs_path=snakemake.input.runs,
    threshold=snakemake.params.accuracy_threshold,
    alpha=snakemake.params.alpha,
    smallest_effect=snakemake.params.smallest_effect,
    bootstrap_resamples=snakemake.params.bootstrap_resamples,
    bootstrap_seed=snakemake.params.bootstrap_seed,
    aso=snakemake.params.aso,
    summary=snakemake.output.summary,
    comparisons=snakemake.output.comparisons,
    markdown_path=snakemake.output.markdown,
    fixed_histories_path=snakemake.input.get("fixed_histories"),
    fixed_runs_path=snakemake.input.get("fixed_runs"),
    selected_path=snakemake.input.get("selected"),
)
# With adaptive seeds: how many seeds each pair took and why it stopped.
if snakemake.params.datasets:
    annotate_summary(
        snakemake.input.decisions, snakemake.params.datasets, snakemake.output.comparisons, snakemake.output.markdown
    )
