from actzoo.logs import to_log

to_log(snakemake.log[0])

import pandas as pd  # noqa: E402

from actzoo.profile_figures import plot_profile  # noqa: E402

plot_profile(pd.read_csv(snakemake.input[0]), snakemake.output)
