rule plot_curves:
    input:
        histories=dataset_runs("history.csv"),
        metrics=dataset_runs("metrics.json"),
    output:
        png="results/figures/curves_{dataset}.png",
        svg="results/figures/curves_{dataset}.svg",
    log:
        "logs/plot_curves/{dataset}.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        dataset="{dataset}",
        code=script_hash("plot_curves.py"),
    script:
        "../scripts/plot_curves.py"


rule plot_boundaries:
    input:
        data="results/datasets/{dataset}.npz",
        boundaries=first_seed_runs("boundary.npz"),
        metrics=first_seed_runs("metrics.json"),
    output:
        png="results/figures/boundaries_{dataset}.png",
        svg="results/figures/boundaries_{dataset}.svg",
    log:
        "logs/plot_boundaries/{dataset}.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        dataset="{dataset}",
        code=script_hash("plot_boundaries.py"),
    script:
        "../scripts/plot_boundaries.py"


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


rule plot_activations:
    input:
        "results/activations/zoo.npz",
    output:
        png="results/figures/activations.png",
        svg="results/figures/activations.svg",
    log:
        "logs/plot_activations.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        code=script_hash("plot_activations.py"),
    script:
        "../scripts/plot_activations.py"
