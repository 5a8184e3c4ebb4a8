from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.datasets import write_dataset  # noqa: E402

write_dataset(spec=snakemake.params.spec, path=snakemake.output[0])
