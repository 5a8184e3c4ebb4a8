rule train:
    input:
        data=evaluation_input,
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
        model=evaluation_model,
        # What the results depend on; a change retrains.
        settings=evaluation_training,
        # What the job is given: the same plus checkpoint_every, untracked
        # (see job_training). The cache key still holds it (see docs/reproducibility.md).
        training=evaluation_job_training,
        # With tuning: the chosen values, recorded in metrics.json.
        tuned=evaluation_tuned,
        planar=lambda wildcards: is_planar(wildcards.dataset),
        grid_resolution=grid_resolution,
        explorer_frames=explorer_frames,
        explorer_units=explorer_units,
        # Next to the outputs, also under a module's `prefix:`.
        checkpoint_dir=lambda wildcards, output: f"{Path(output.history).parent}/.ckpt",
        code=script_hash("train.py"),
        # Score the final model on the data set's test split, if it has one
        # (metrics.json's test_loss, test_accuracy); never used in training.
        evaluate_test=True,
    script:
        "../scripts/train.py"


# Tuning runs (config `tuning:`): one per grid point and tuning seed, judged
# on the validation split only. No boundary grids or diagnostics: the
# selection reads only their final validation metrics.
use rule train as tune with:
    input:
        data="results/datasets/{dataset}.npz",
    output:
        multiext(
            f"results/tuning/runs/{TUNE_RUN}/",
            history="history.csv",
            metrics="metrics.json",
            model="model.keras",
            boundary="boundary.npz",
            diagnostics="diagnostics.csv",
        ),
    log:
        f"logs/tune/{TUNE_RUN}.log",
    params:
        point="{point}",
        model=point_model,
        settings=point_training,
        training=point_job_training,
        tuned=point_tuned,
        planar=False,
        grid_resolution=None,
        explorer_frames=None,
        explorer_units=None,
        evaluate_test=False,


checkpoint select_settings:
    input:
        metrics=lambda wildcards: tuning_runs("metrics.json"),
    output:
        scores="results/tuning/scores.csv",
        selected="results/tuning/selected.csv",
    log:
        "logs/select_settings.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        grid=TUNING.get("grid"),
        objective=TUNING.get("objective"),
        code=script_hash("select_settings.py"),
    script:
        "../scripts/select_settings.py"


# With tuning, the same runs at the config's own settings: the untuned verdict.
use rule train as train_fixed with:
    input:
        data="results/datasets/{dataset}.npz",
    output:
        multiext(
            f"results/fixed/runs/{RUN}/",
            history="history.csv",
            metrics="metrics.json",
            model="model.keras",
            boundary="boundary.npz",
            diagnostics="diagnostics.csv",
        ),
    log:
        f"logs/train_fixed/{RUN}.log",
    params:
        model=model_params,
        settings=training_params,
        training=job_training,
        tuned=None,
