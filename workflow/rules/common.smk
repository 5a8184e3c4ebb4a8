import functools
import os
import re
import sys
from pathlib import Path

from snakemake.exceptions import IncompleteCheckpointException
from snakemake.io import local
from snakemake.utils import min_version

min_version("9.0")

# actzoo's own directory, found from this file: when actzoo is a Snakemake
# module, workflow.basedir is the directory of the workflow that uses it.
ACTZOO_DIR = Path(workflow.current_basedir.get_path_or_uri(secret_free=True)).resolve().parents[1]
if not (ACTZOO_DIR / "workflow" / "scripts" / "actzoo").is_dir():
    sys.exit(f"actzoo: its code is not at {ACTZOO_DIR}; use a local clone of actzoo as the module's snakefile")
sys.path.insert(0, str(ACTZOO_DIR / "workflow" / "scripts"))

from actzoo import activerun
from actzoo.looks import is_adaptive, plan, read_decision
from actzoo.config import PREFIX, ConfigError, check_config, load_config
from actzoo.datasets import is_planar as has_two_features
from actzoo.provenance import code_hash
from actzoo.spec import EXECUTION_ONLY
from actzoo.tuning import grid_points, read_selection, split_settings

# Run directly, config.yaml in the working directory is the base; used as a
# module, actzoo's own config.yaml is. The config given (--config/--configfile,
# or the module's `config:`) goes over it key by key.
if Path(workflow.main_snakefile).resolve() == ACTZOO_DIR / "Snakefile":
    BASE_CONFIG = Path("config.yaml")
else:
    BASE_CONFIG = ACTZOO_DIR / "config.yaml"
try:
    checked = load_config(BASE_CONFIG, config)
    ACTIVATIONS = check_config(checked)
except ConfigError as error:
    sys.exit(f"{PREFIX} {error}")
config.clear()
config.update(checked)

# One run per working directory (actzoo/activerun.py says why). Jobs that
# Snakemake starts as processes of their own parse this file too: not them.
if workflow.is_main_process and (refusal := activerun.active_run()):
    sys.exit(refusal)

DATASETS = list(config["datasets"])
# Adaptive seeds (a `seeds` mapping): LOOKS are the seeds judged at each look,
# SEEDS every seed that may run; which ran is the checkpoints' answer (seeds_of).
ADAPTIVE = is_adaptive(config["seeds"])
LOOKS = plan(config["seeds"]) if ADAPTIVE else [[int(seed) for seed in config["seeds"]]]
SEEDS = LOOKS[-1]
# Model variants (config `models:`), a sweep axis between data set and
# activation. Without them a run's path has no {model} level, as before.
VARIANTS = config.get("models", {})
RUN = "{dataset}/{model}/{activation}/seed{seed}" if VARIANTS else "{dataset}/{activation}/seed{seed}"
# What statistics and per-variant figures are about: a data set, or a (data set, variant).
TASK = "{dataset}_{model}" if VARIANTS else "{dataset}"
# Tuning (config `tuning:`): every grid point trains on the tuning seeds, a
# run of its own under results/tuning/runs; the evaluation runs (results/runs)
# then train with each activation's chosen point, and runs at the config's own
# settings (results/fixed/runs) give the untuned verdict beside it.
TUNING = config.get("tuning") or {}
POINTS = grid_points(TUNING["grid"]) if TUNING else {}
TUNE_RUN = RUN.replace("{activation}/", "{activation}/{point}/")


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    model="|".join(map(re.escape, VARIANTS)) or "(?!)",
    activation="|".join(map(re.escape, ACTIVATIONS)),
    point="|".join(map(re.escape, POINTS)) or "(?!)",
    seed=r"\d+",


def script_hash(name):
    """Hash of an entry script and the actzoo modules it imports (see docs/reproducibility.md)."""
    script = ACTZOO_DIR / "workflow" / "scripts" / name
    if not script.is_file():
        raise FileNotFoundError(f"script_hash: no script {script}")
    return code_hash(script)


def figure(name, caption, label, category="{dataset}"):
    """A figure's outputs: results/figures/<name>.png, shown in the report
    under ``category`` with report/<caption>.rst, and the same figure as SVG."""
    return {
        "png": report(
            f"results/figures/{name}.png",
            caption=f"../report/{caption}.rst",
            category=category,
            subcategory="figures",
            labels={"figure": label},
        ),
        "svg": f"results/figures/{name}.svg",
    }


def entry_script(rule_name):
    """A rule's entry script, workflow/scripts/<rule_name>.py, and the hash of
    its code: a param, so that editing the code reruns the rule."""
    return {"script": f"{rule_name}.py", "code": script_hash(f"{rule_name}.py")}


def is_planar(dataset):
    return has_two_features(config["datasets"][dataset])


def training_params(wildcards, tuned=None):
    """config["training"] with the model variant's overrides and the tuned
    values on top, without what cannot change this dataset's runs:
    EXECUTION_ONLY never does (actzoo/spec.py: a job's threads, and how often
    it saves the checkpoint it would resume from), and boundary snapshots
    exist only for 2-D data."""
    training = {k: v for k, v in config["training"].items() if k not in EXECUTION_ONLY}
    training |= VARIANTS.get(wildcards.get("model"), {}).get("training", {})
    training |= split_settings(tuned or {})[0]
    if not is_planar(wildcards.dataset):
        training["snapshot_epochs"] = []
    return training


def job_training(wildcards, resources):
    """training_params plus checkpoint_every: what the training job is given.

    Snakemake's params trigger skips a params function that takes input,
    output, threads or resources (snakemake/rules.py, _is_deriving_function),
    so changing checkpoint_every reruns nothing; training_params, a separate
    param, is what is tracked. So with evaluation_ and point_job_training.
    """
    return with_checkpoints(training_params(wildcards))


def with_checkpoints(training):
    return {**training, "checkpoint_every": config["training"]["checkpoint_every"]}


@functools.cache
def selection(path, modified):
    return read_selection(path, POINTS)


def chosen(wildcards):
    """An evaluation run's tuned values: its (data set, variant, activation)'s
    row of results/tuning/selected.csv. Empty without tuning; None while the
    selection (a checkpoint) is still to be made: the job then waits for it,
    and Snakemake evaluates its params again once it is made."""
    if not TUNING:
        return {}
    try:
        path = checkpoints.select_settings.get().output.selected
    except IncompleteCheckpointException:
        return None
    rows = selection(path, os.stat(path).st_mtime_ns)
    return rows[(wildcards.dataset, wildcards.get("model"), wildcards.activation)]


def evaluation_input(wildcards):
    """An evaluation run's data. With tuning, Snakemake's checkpoint: until
    the selection is made, get() raises and the job waits for it."""
    if TUNING:
        checkpoints.select_settings.get()
    return f"results/datasets/{wildcards.dataset}.npz"


# An evaluation run's settings: the chosen point's. Until the selection is
# made they are a placeholder; such a job waits for the selection anyway.
PENDING = {"selection": "pending"}


def evaluation_training(wildcards):
    tuned = chosen(wildcards)
    return PENDING if tuned is None else training_params(wildcards, tuned)


def evaluation_job_training(wildcards, resources):
    return with_checkpoints(evaluation_training(wildcards))


def evaluation_model(wildcards):
    tuned = chosen(wildcards)
    return PENDING if tuned is None else model_params(wildcards, tuned)


def evaluation_tuned(wildcards):
    """The tuned values an evaluation run records in metrics.json (None untuned)."""
    return chosen(wildcards) or None


def diagnostics_recorded():
    """Whether training records diagnostics: on, and the compiled engine."""
    return config["training"]["diagnostics"] and config["training"]["engine"] == "compiled"


def grid_resolution(wildcards):
    """The boundary grid's resolution, for 2-D data only (see training_params)."""
    return config["figures"]["grid_resolution"] if is_planar(wildcards.dataset) else None


def explorer_frames(wildcards):
    """How many grids a 2-D run saves for the explorer (see training_params)."""
    return config["figures"]["explorer_frames"] if is_planar(wildcards.dataset) else None


def explorer_units(wildcards):
    """The most hidden units a 2-D run pictures for the explorer (see training_params)."""
    return config["figures"]["explorer_units"] if is_planar(wildcards.dataset) else None


def planar_datasets():
    return [d for d in DATASETS if is_planar(d)]


def generator_params(wildcards):
    """A dataset's own settings, without its model (which does not change the data)."""
    spec = config["datasets"][wildcards.dataset]
    return {k: v for k, v in spec.items() if k != "model"}


def csv_input(wildcards):
    """A CSV data set's file, relative to the working directory as in the
    config: local() keeps a module's `prefix:` from moving it."""
    spec = config["datasets"][wildcards.dataset]
    return [local(spec["path"])] if spec["generator"] == "csv" else []


def model_of(dataset, name=None):
    """The global model, the dataset's override on top, variant ``name``'s on top of that."""
    model = {**config["model"], **config["datasets"][dataset].get("model", {})}
    return model | {k: v for k, v in VARIANTS.get(name, {}).items() if k != "training"}


def model_params(wildcards, tuned=None):
    return model_of(wildcards.dataset, wildcards.get("model")) | split_settings(tuned or {})[1]


def point_training(wildcards):
    """A tuning run's settings: its grid point's. No diagnostics: the
    selection reads only the final validation scores (they do not change
    training, see config.yaml)."""
    return training_params(wildcards, POINTS[wildcards.point]) | {"diagnostics": False}


def point_job_training(wildcards, resources):
    return with_checkpoints(point_training(wildcards))


def point_model(wildcards):
    return model_params(wildcards, POINTS[wildcards.point])


def point_tuned(wildcards):
    return POINTS[wildcards.point]


def tuning_runs(filename):
    """Every tuning run's ``filename``: data set, variant, activation, point, tuning seed."""
    return [
        f"results/tuning/runs/{TUNE_RUN.format(dataset=d, model=m, activation=a, point=p, seed=s)}/{filename}"
        for d in DATASETS
        for m in list(VARIANTS) or [None]
        for a in ACTIVATIONS
        for p in POINTS
        for s in TUNING["seeds"]
    ]


def runs(filename, datasets=None, activations=None, seeds=None, models=None, root="results/runs"):
    """One path per run, sorted by dataset, variant, activation (config order), seed."""
    return [
        f"{root}/{RUN.format(dataset=d, model=m, activation=a, seed=s)}/{filename}"
        for d in datasets or DATASETS
        for m in models or list(VARIANTS) or [None]
        for a in activations or ACTIVATIONS
        for s in seeds or seeds_of(d)
    ]


def seeds_of(dataset):
    """The seeds a data set runs: all of SEEDS, or with adaptive seeds those
    of its last look (raises IncompleteCheckpointException until it is made:
    call it from input functions only)."""
    return read_decision(final_look(dataset))["seeds"] if ADAPTIVE else SEEDS


def final_look(dataset):
    """The decision file of a data set's last look: each look's checkpoint
    says whether another follows (actzoo/adaptive.py)."""
    for look in range(1, len(LOOKS) + 1):
        path = checkpoints.decide_seeds.get(dataset=dataset, look=look).output.decision
        if read_decision(path)["stopped"] or look == len(LOOKS):
            return path


def look_runs(filename):
    """The runs one look judges: its data set's runs of the look's seeds."""
    return lambda wildcards: runs(filename, datasets=[wildcards.dataset], seeds=LOOKS[int(wildcards.look) - 1])


def previous_look(wildcards):
    """The decision before this look (its decided pairs stay decided); none at the first."""
    look = int(wildcards.look)
    return {"previous": f"results/adaptive/{wildcards.dataset}/look{look - 1}.json"} if look > 1 else {}


def adaptive_decisions(wildcards):
    """With adaptive seeds, every data set's last decision, for the summary."""
    return {"decisions": [final_look(d) for d in DATASETS]} if ADAPTIVE else {}


def dataset_runs(filename):
    return lambda wildcards: runs(filename, datasets=[wildcards.dataset])


def task_runs(filename):
    """The runs of one data set, or of one (data set, variant)."""
    return lambda wildcards: runs(filename, datasets=[wildcards.dataset], models=[wildcards.get("model")])


def task_title(wildcards):
    return " · ".join(filter(None, (wildcards.dataset, wildcards.get("model"))))


def variant_depths(wildcards):
    """{variant: number of hidden layers} of a data set's runs."""
    return {name: len(model_of(wildcards.dataset, name)["hidden_units"]) for name in VARIANTS}


def first_seed_runs(filename):
    return lambda wildcards: runs(filename, datasets=[wildcards.dataset], seeds=LOOKS[0][:1])


def explorer_seeds():
    """The first seeds; with adaptive seeds, of the start seeds (every task runs them)."""
    return LOOKS[0][: config["figures"]["explorer_seeds"]]


def explorer_runs(filename):
    """The runs explorer.html embeds: 2-D data sets, the first seeds."""
    planar = planar_datasets()
    return runs(filename, datasets=planar, seeds=explorer_seeds()) if planar else []


def fixed_tables(wildcards):
    """With tuning, the runs at fixed settings and the selection, for the
    side-by-side verdict."""
    if not TUNING:
        return {}
    return {
        "fixed_histories": "results/fixed/histories.csv",
        "fixed_runs": "results/fixed/runs.csv",
        "selected": "results/tuning/selected.csv",
    }


def all_targets():
    figures = "results/figures"
    targets = [
        "results/explorer.html",
        "results/histories.csv",
        "results/summary.csv",
        "results/comparisons.csv",
        "results/summary.md",
        "results/provenance.json",
        "results/overall.csv",
        "results/overall.md",
        "results/figures/critical_difference.png",
        "results/figures/critical_difference.svg",
        "results/robust.csv",
        "results/improvement.csv",
        "results/profile.csv",
    ]
    for ext in ("png", "svg"):
        targets.append(f"{figures}/activations.{ext}")
        targets += [f"{figures}/{kind}.{ext}" for kind in ("probability_of_improvement", "performance_profile")]
        targets += [f"{figures}/curves_{d}.{ext}" for d in DATASETS]
        for kind in ("boundaries", "evolution", "boundaries_seeds"):
            targets += [f"{figures}/{kind}_{d}.{ext}" for d in planar_datasets()]
    if TUNING:
        targets += ["results/tuning/scores.csv", "results/tuning/selected.csv", "results/fixed/runs.csv"]
        targets += [f"{figures}/sensitivity_{d}.{ext}" for d in DATASETS for ext in ("png", "svg")]
    if diagnostics_recorded():
        targets.append("results/diagnostics.csv")
        for ext in ("png", "svg"):
            for d in DATASETS:
                targets += [
                    f"{figures}/diagnostics_{TASK.format(dataset=d, model=m)}.{ext}" for m in VARIANTS or [None]
                ]
                targets += [f"{figures}/depth_{d}.{ext}"] if VARIANTS else []
    return targets
