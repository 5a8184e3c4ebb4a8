# Every figure rule has one shape. plot_activations spells it out; each other
# figure is `use rule plot_activations as plot_<name> with:` and says only what
# differs: input, output, log and params (Snakemake merges params by key), and
# `localrule: True`, which `use rule` does not inherit (Snakemake 9.27.1: the
# figures were submitted to SLURM without it; tests/test_packaging.py). A
# `use rule` cannot change `script:`, so the script is named by params.script.
# figure() and entry_script() are in common.smk.


rule plot_activations:
    input:
        "results/activations/zoo.npz",
    output:
        **figure("activations", "activations", "activation zoo", category="activation functions"),
    log:
        "logs/plot_activations.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        **entry_script("plot_activations"),
    script:
        "../scripts/{params.script}"


use rule plot_activations as plot_curves with:
    input:
        histories=dataset_runs("history.csv"),
        metrics=dataset_runs("metrics.json"),
    output:
        **figure("curves_{dataset}", "curves", "1 learning curves"),
    log:
        "logs/plot_curves/{dataset}.log",
    localrule: True
    params:
        **entry_script("plot_curves"),
        dataset="{dataset}",


use rule plot_activations as plot_boundaries with:
    input:
        data="results/datasets/{dataset}.npz",
        boundaries=first_seed_runs("boundary.npz"),
        metrics=first_seed_runs("metrics.json"),
    output:
        **figure("boundaries_{dataset}", "boundaries", "2 final decision boundaries"),
    log:
        "logs/plot_boundaries/{dataset}.log",
    localrule: True
    params:
        **entry_script("plot_boundaries"),
        dataset="{dataset}",


use rule plot_activations as plot_evolution with:
    input:
        data="results/datasets/{dataset}.npz",
        boundaries=first_seed_runs("boundary.npz"),
        metrics=first_seed_runs("metrics.json"),
    output:
        **figure("evolution_{dataset}", "evolution", "3 boundary evolution"),
    log:
        "logs/plot_evolution/{dataset}.log",
    localrule: True
    params:
        **entry_script("plot_evolution"),
        dataset="{dataset}",


use rule plot_activations as plot_seed_boundaries with:
    input:
        data="results/datasets/{dataset}.npz",
        boundaries=dataset_runs("boundary.npz"),
        metrics=dataset_runs("metrics.json"),
    output:
        **figure("boundaries_seeds_{dataset}", "boundaries_seeds", "4 boundaries of every seed"),
    log:
        "logs/plot_seed_boundaries/{dataset}.log",
    localrule: True
    params:
        **entry_script("plot_seed_boundaries"),
        dataset="{dataset}",


use rule plot_activations as plot_diagnostics with:
    input:
        diagnostics=task_runs("diagnostics.csv"),
        metrics=task_runs("metrics.json"),
    output:
        **figure(f"diagnostics_{TASK}", "diagnostics", f"5 inside the network {TASK}"),
    log:
        f"logs/plot_diagnostics/{TASK}.log",
    localrule: True
    params:
        **entry_script("plot_diagnostics"),
        dataset=task_title,


use rule plot_activations as plot_depth with:
    input:
        diagnostics="results/diagnostics.csv",
        runs="results/runs.csv",
    output:
        **figure("depth_{dataset}", "depth", "6 depth"),
    log:
        "logs/plot_depth/{dataset}.log",
    localrule: True
    params:
        **entry_script("plot_depth"),
        dataset="{dataset}",
        depths=variant_depths,


use rule plot_activations as plot_sensitivity with:
    input:
        scores="results/tuning/scores.csv",
        selected="results/tuning/selected.csv",
    output:
        **figure("sensitivity_{dataset}", "sensitivity", "7 sensitivity to the tuned settings"),
    log:
        "logs/plot_sensitivity/{dataset}.log",
    localrule: True
    params:
        **entry_script("plot_sensitivity"),
        dataset="{dataset}",


rule tabulate_activations:
    output:
        "results/activations/zoo.npz",
    log:
        "logs/tabulate_activations.log",
    conda:
        "../../envs/tensorflow.yaml"
    params:
        activations=ACTIVATIONS,
        x_range=config["figures"]["activation_range"],
        code=script_hash("tabulate_activations.py"),
    script:
        "../scripts/tabulate_activations.py"


rule build_explorer:
    input:
        data=expand("results/datasets/{dataset}.npz", dataset=planar_datasets()),
        boundaries=explorer_runs("boundary.npz"),
        metrics=explorer_runs("metrics.json"),
        histories="results/histories.csv",
        runs="results/runs.csv",
    output:
        html=report(
            "results/explorer.html",
            caption="../report/explorer.rst",
            category="explorer",
            labels={"page": "interactive boundary explorer"},
        ),
    log:
        "logs/build_explorer.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        datasets=planar_datasets(),
        seeds=explorer_seeds(),
        code=script_hash("build_explorer.py"),
    script:
        "../scripts/build_explorer.py"


use rule plot_activations as plot_improvement with:
    input:
        "results/improvement.csv",
    output:
        **figure(
            "probability_of_improvement",
            "probability_of_improvement",
            "probability of improvement",
            category="summary",
        ),
    log:
        "logs/plot_improvement.log",
    localrule: True
    params:
        **entry_script("plot_improvement"),


use rule plot_activations as plot_profile with:
    input:
        "results/profile.csv",
    output:
        **figure("performance_profile", "performance_profile", "performance profile", category="summary"),
    log:
        "logs/plot_profile.log",
    localrule: True
    params:
        **entry_script("plot_profile"),
