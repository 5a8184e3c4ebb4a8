import sys

from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.runs import train_and_save  # noqa: E402 -- imports TensorFlow

params = snakemake.params
train_and_save(
    data_path=snakemake.input.data,
    outputs=dict(snakemake.output.items()),
    dataset=params.dataset,
    activation=params.activation,
    seed=params.seed,
    model=params.model,
    training=params.training,
    planar=params.planar,
    grid_resolution=params.grid_resolution,
    checkpoint_dir=params.checkpoint_dir,
    code=params.code,
    threads=snakemake.threads,
    log=lambda message: print(message, file=sys.stderr),
)
