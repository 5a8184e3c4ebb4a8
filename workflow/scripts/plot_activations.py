from actzoo.logs import to_log

to_log(snakemake.log[0])

from actzoo.curve_figures import plot_activations  # noqa: E402

plot_activations(table_path=snakemake.input[0], paths=snakemake.output)
