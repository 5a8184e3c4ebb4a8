from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.models import write_tabulation  # noqa: E402 -- imports TensorFlow

write_tabulation(activations=snakemake.params.activations, x_range=snakemake.params.x_range, path=snakemake.output[0])
