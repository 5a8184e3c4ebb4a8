from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.adaptive import write_look  # noqa: E402

write_look(
    metrics_paths=snakemake.input.metrics,
    seeds=snakemake.params.seeds,
    look=int(snakemake.wildcards.look),
    alpha=snakemake.params.alpha,
    smallest_effect=snakemake.params.smallest_effect,
    previous_path=snakemake.input.get("previous"),
    output=snakemake.output.decision,
)
