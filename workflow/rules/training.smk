rule train:
    input:
        data="results/datasets/{dataset}.npz",
    output:
        multiext(
            f"results/runs/{RUN}/",
            history="history.csv",
            metrics="metrics.json",
            model="model.keras",
            boundary="boundary.npz",
            diagnostics="diagnostics.csv",
        ),
    log:
        f"logs/train/{RUN}.log",
    cache: True
    conda:
        "../../envs/tensorflow.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=lambda wildcards, attempt: 1200 * attempt,
        runtime=lambda wildcards, attempt: 15 * attempt,
    params:
        # The between-workflow cache hashes params but not wildcards: every
        # wildcard value is repeated here so each run gets its own entry.
        dataset="{dataset}",
        variant=lambda wildcards: wildcards.get("model"),
        activation=lambda wildcards: ACTIVATIONS[wildcards.activation],
        seed=lambda wildcards: int(wildcards.seed),
        model=model_params,
        # What the results depend on; a change retrains.
        settings=training_params,
        # What the job is given: the same plus checkpoint_every, untracked
        # (see job_training). The cache key still holds it (see README).
        training=job_training,
        planar=lambda wildcards: is_planar(wildcards.dataset),
        grid_resolution=grid_resolution,
        explorer_frames=explorer_frames,
        # Next to the outputs, also under a module's `prefix:`.
        checkpoint_dir=lambda wildcards, output: f"{Path(output.history).parent}/.ckpt",
        code=script_hash("train.py"),
        # Score the final model on the data set's test split, if it has one
        # (metrics.json's test_loss, test_accuracy); never used in training.
        evaluate_test=True,
    script:
        "../scripts/train.py"
