rule plot_curves:
    input:
        histories=dataset_runs("history.csv"),
        metrics=dataset_runs("metrics.json"),
    output:
        png=report(
            "results/figures/curves_{dataset}.png",
            caption="../report/curves.rst",
            category="{dataset}",
            subcategory="figures",
            labels={"figure": "1 learning curves"},
        ),
        svg="results/figures/curves_{dataset}.svg",
    log:
        "logs/plot_curves/{dataset}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dataset="{dataset}",
        code=script_hash("plot_curves.py"),
    script:
        "../scripts/plot_curves.py"


rule plot_diagnostics:
    input:
        diagnostics=task_runs("diagnostics.csv"),
        metrics=task_runs("metrics.json"),
    output:
        png=report(
            f"results/figures/diagnostics_{TASK}.png",
            caption="../report/diagnostics.rst",
            category="{dataset}",
            subcategory="figures",
            labels={"figure": f"5 inside the network {TASK}"},
        ),
        svg=f"results/figures/diagnostics_{TASK}.svg",
    log:
        f"logs/plot_diagnostics/{TASK}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dataset=task_title,
        code=script_hash("plot_diagnostics.py"),
    script:
        "../scripts/plot_diagnostics.py"


rule plot_boundaries:
    input:
        data="results/datasets/{dataset}.npz",
        boundaries=first_seed_runs("boundary.npz"),
        metrics=first_seed_runs("metrics.json"),
    output:
        png=report(
            "results/figures/boundaries_{dataset}.png",
            caption="../report/boundaries.rst",
            category="{dataset}",
            subcategory="figures",
            labels={"figure": "2 final decision boundaries"},
        ),
        svg="results/figures/boundaries_{dataset}.svg",
    log:
        "logs/plot_boundaries/{dataset}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dataset="{dataset}",
        code=script_hash("plot_boundaries.py"),
    script:
        "../scripts/plot_boundaries.py"


rule plot_evolution:
    input:
        data="results/datasets/{dataset}.npz",
        boundaries=first_seed_runs("boundary.npz"),
        metrics=first_seed_runs("metrics.json"),
    output:
        png=report(
            "results/figures/evolution_{dataset}.png",
            caption="../report/evolution.rst",
            category="{dataset}",
            subcategory="figures",
            labels={"figure": "3 boundary evolution"},
        ),
        svg="results/figures/evolution_{dataset}.svg",
    log:
        "logs/plot_evolution/{dataset}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dataset="{dataset}",
        code=script_hash("plot_evolution.py"),
    script:
        "../scripts/plot_evolution.py"


rule plot_seed_boundaries:
    input:
        data="results/datasets/{dataset}.npz",
        boundaries=dataset_runs("boundary.npz"),
        metrics=dataset_runs("metrics.json"),
    output:
        png=report(
            "results/figures/boundaries_seeds_{dataset}.png",
            caption="../report/boundaries_seeds.rst",
            category="{dataset}",
            subcategory="figures",
            labels={"figure": "4 boundaries of every seed"},
        ),
        svg="results/figures/boundaries_seeds_{dataset}.svg",
    log:
        "logs/plot_seed_boundaries/{dataset}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dataset="{dataset}",
        code=script_hash("plot_seed_boundaries.py"),
    script:
        "../scripts/plot_seed_boundaries.py"


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
        png=report(
            "results/figures/activations.png",
            caption="../report/activations.rst",
            category="activation functions",
            subcategory="figures",
            labels={"figure": "activation zoo"},
        ),
        svg="results/figures/activations.svg",
    log:
        "logs/plot_activations.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        code=script_hash("plot_activations.py"),
    script:
        "../scripts/plot_activations.py"


rule build_explorer:
    input:
        data=expand("results/datasets/{dataset}.npz", dataset=planar_datasets()),
        boundaries=explorer_runs("boundary.npz"),
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


rule plot_depth:
    input:
        diagnostics="results/diagnostics.csv",
        runs="results/runs.csv",
    output:
        png=report(
            "results/figures/depth_{dataset}.png",
            caption="../report/depth.rst",
            category="{dataset}",
            subcategory="figures",
            labels={"figure": "6 depth"},
        ),
        svg="results/figures/depth_{dataset}.svg",
    log:
        "logs/plot_depth/{dataset}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dataset="{dataset}",
        depths=variant_depths,
        code=script_hash("plot_depth.py"),
    script:
        "../scripts/plot_depth.py"


rule plot_sensitivity:
    input:
        scores="results/tuning/scores.csv",
        selected="results/tuning/selected.csv",
    output:
        png=report(
            "results/figures/sensitivity_{dataset}.png",
            caption="../report/sensitivity.rst",
            category="{dataset}",
            subcategory="figures",
            labels={"figure": "7 sensitivity to the tuned settings"},
        ),
        svg="results/figures/sensitivity_{dataset}.svg",
    log:
        "logs/plot_sensitivity/{dataset}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dataset="{dataset}",
        code=script_hash("plot_sensitivity.py"),
    script:
        "../scripts/plot_sensitivity.py"


rule plot_robust:
    input:
        improvement="results/improvement.csv",
        profile="results/profile.csv",
    output:
        improvement_png=report(
            "results/figures/probability_of_improvement.png",
            caption="../report/probability_of_improvement.rst",
            category="summary",
            subcategory="figures",
            labels={"figure": "probability of improvement"},
        ),
        improvement_svg="results/figures/probability_of_improvement.svg",
        profile_png=report(
            "results/figures/performance_profile.png",
            caption="../report/performance_profile.rst",
            category="summary",
            subcategory="figures",
            labels={"figure": "performance profile"},
        ),
        profile_svg="results/figures/performance_profile.svg",
    log:
        "logs/plot_robust.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        code=script_hash("plot_robust.py"),
    script:
        "../scripts/plot_robust.py"
