from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.workerclient import call  # noqa: E402 -- no TensorFlow: a warm worker has it imported

params = snakemake.params
call(
    "actzoo.runs:train_and_save",
    dict(
        data_path=snakemake.input.data,
        outputs=dict(snakemake.output.items()),
        dataset=params.dataset,
        variant=params.variant,
        activation=params.activation,
        seed=params.seed,
        model=params.model,
        training=params.training,
        planar=params.planar,
        grid_resolution=params.grid_resolution,
        explorer_frames=params.explorer_frames,
        explorer_units=params.explorer_units,
        checkpoint_dir=params.checkpoint_dir,
        code=params.code,
        threads=snakemake.threads,
        tuned=params.tuned,
        evaluate_test=params.evaluate_test,
    ),
)
