configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/aggregation.smk"
include: "workflow/rules/figures.smk"


rule all:
    input:
        all_targets(),
