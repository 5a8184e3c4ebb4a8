rule merge_histories:
    input:
        # Functions: with adaptive seeds the runs are known after the checkpoints.
        histories=lambda wildcards: runs("history.csv"),
        metrics=lambda wildcards: runs("metrics.json"),
    output:
        histories="results/histories.csv",
        runs=report(
            "results/runs.csv",
            caption="../report/runs.rst",
            category="summary",
            subcategory="tables",
            labels={"table": "3 every run"},
        ),
        provenance="results/provenance.json",
    log:
        "logs/merge_histories.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        code=script_hash("merge_histories.py"),
    script:
        "../scripts/merge_histories.py"


# With tuning: the runs at the config's fixed settings, merged the same way.
use rule merge_histories as merge_fixed_histories with:
    input:
        histories=lambda wildcards: runs("history.csv", root="results/fixed/runs"),
        metrics=lambda wildcards: runs("metrics.json", root="results/fixed/runs"),
    output:
        histories="results/fixed/histories.csv",
        runs="results/fixed/runs.csv",
        provenance="results/fixed/provenance.json",
    log:
        "logs/merge_fixed_histories.log",
    localrule: True


rule summarize:
    input:
        unpack(fixed_tables),
        unpack(adaptive_decisions),
        histories="results/histories.csv",
        runs="results/runs.csv",
    output:
        summary=report(
            "results/summary.csv",
            caption="../report/summary.rst",
            category="summary",
            subcategory="tables",
            labels={"table": "1 ranked summary"},
        ),
        comparisons=report(
            "results/comparisons.csv",
            caption="../report/comparisons.rst",
            category="summary",
            subcategory="tables",
            labels={"table": "2 paired comparisons"},
        ),
        markdown="results/summary.md",
    log:
        "logs/summarize.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        accuracy_threshold=config["statistics"]["accuracy_threshold"],
        alpha=config["statistics"]["alpha"],
        smallest_effect=config["statistics"]["smallest_effect"],
        bootstrap_resamples=config["statistics"]["bootstrap_resamples"],
        bootstrap_seed=config["statistics"]["bootstrap_seed"],
        aso=config["statistics"]["aso"],
        datasets=DATASETS if ADAPTIVE else None,
        code=script_hash("summarize.py"),
    script:
        "../scripts/summarize.py"


rule merge_diagnostics:
    input:
        diagnostics=lambda wildcards: runs("diagnostics.csv"),
        metrics=lambda wildcards: runs("metrics.json"),
    output:
        "results/diagnostics.csv",
    log:
        "logs/merge_diagnostics.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        code=script_hash("merge_diagnostics.py"),
    script:
        "../scripts/merge_diagnostics.py"


rule compare_overall:
    input:
        summary="results/summary.csv",
        runs="results/runs.csv",
    output:
        table=report(
            "results/overall.csv",
            caption="../report/overall.rst",
            category="summary",
            subcategory="tables",
            labels={"table": "0 across data sets"},
        ),
        markdown="results/overall.md",
        png=report(
            "results/figures/critical_difference.png",
            caption="../report/critical_difference.rst",
            category="summary",
            subcategory="figures",
            labels={"figure": "critical difference"},
        ),
        svg="results/figures/critical_difference.svg",
        robust=report(
            "results/robust.csv",
            caption="../report/robust.rst",
            category="summary",
            subcategory="tables",
            labels={"table": "4 IQM and mean across data sets"},
        ),
        improvement="results/improvement.csv",
        profile="results/profile.csv",
    log:
        "logs/compare_overall.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        alpha=config["statistics"]["alpha"],
        bootstrap_resamples=config["statistics"]["bootstrap_resamples"],
        bootstrap_seed=config["statistics"]["bootstrap_seed"],
        code=script_hash("compare_overall.py"),
    script:
        "../scripts/compare_overall.py"
