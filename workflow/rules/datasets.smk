rule make_dataset:
    input:
        csv_input,
    output:
        "results/datasets/{dataset}.npz",
    log:
        "logs/make_dataset/{dataset}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        spec=generator_params,
        code=script_hash("make_dataset.py"),
    script:
        "../scripts/make_dataset.py"
