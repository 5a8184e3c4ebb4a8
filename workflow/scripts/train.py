import os
import sys

# Python's and TensorFlow's C++ messages both go to the job's log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)
os.dup2(sys.stderr.fileno(), 2)

from actzoo.runs import train_and_save

params = snakemake.params
train_and_save(
    snakemake.input.data,
    dict(snakemake.output.items()),
    params.dataset,
    params.activation,
    params.seed,
    params.model,
    params.training,
    params.planar,
    params.grid_resolution,
    params.checkpoint_dir,
    params.code,
    threads=snakemake.threads,
    log=lambda message: print(message, file=sys.stderr),
)
