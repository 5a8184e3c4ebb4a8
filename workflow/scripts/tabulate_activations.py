from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.workerclient import call  # noqa: E402 -- no TensorFlow: a warm worker has it imported

call(
    "actzoo.models:write_tabulation",
    dict(activations=snakemake.params.activations, x_range=snakemake.params.x_range, path=snakemake.output[0]),
)
