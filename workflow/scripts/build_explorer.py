from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.explorer import build_explorer  # noqa: E402

build_explorer(
    data_paths=dict(zip(snakemake.params.datasets, snakemake.input.data, strict=True)),
    boundary_paths=snakemake.input.boundaries,
    metrics_paths=snakemake.input.metrics,
    histories_path=snakemake.input.histories,
    runs_path=snakemake.input.runs,
    seeds=snakemake.params.seeds,
    output=snakemake.output.html,
)
