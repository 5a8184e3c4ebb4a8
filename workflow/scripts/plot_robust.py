from actzoo.logs import to_log

to_log(snakemake.log[0])

import pandas as pd  # noqa: E402

from actzoo.profile_figures import plot_improvement, plot_profile  # noqa: E402

plot_improvement(
    pd.read_csv(snakemake.input.improvement), [snakemake.output.improvement_png, snakemake.output.improvement_svg]
)
plot_profile(pd.read_csv(snakemake.input.profile), [snakemake.output.profile_png, snakemake.output.profile_svg])
