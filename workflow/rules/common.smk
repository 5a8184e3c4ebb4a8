import os
import sys

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, update_config, validate

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from actzoo.activations import ActivationError, check_all
from actzoo.datasets import DatasetError, check_split, check_split_sizes, read_checked_csv
from actzoo.provenance import code_hash

min_version("9.0")


def load_default_config(path="config.yaml"):
    """config.yaml, with --config/--configfile values from the command line on top.

    Read with yaml.safe_load instead of a `configfile:` directive, whose loader
    runs YTE templates (`__use_yte__: true`): config.yaml never executes code.
    """
    if not os.path.exists(path):
        return
    with open(path) as handle:
        merged = yaml.safe_load(handle) or {}
    update_config(merged, config)
    config.clear()
    config.update(merged)


def fail(message):
    """Stop before any job runs, with one line naming the key or file."""
    sys.exit(f"actzoo: config error: {message}")


def schema_error_message(error):
    """One line for a jsonschema ValidationError: the key, then what was expected."""
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    if error.validator == "additionalProperties":
        # Name the unknown key itself: a typo must point at the typo.
        allowed = list(error.schema.get("properties", {}))
        unknown = sorted(k for k in error.instance if k not in allowed)
        if unknown:
            key = f"{key}.{unknown[0]}" if key else unknown[0]
            return f"{key}: unknown key; expected one of {allowed}"
    message = error.message
    if error.validator in ("anyOf", "oneOf") and "activations" in error.absolute_path:
        message += "; expected a Keras activation name, 'module:function' or a mapping with a 'name'"
    return f"{key or '(top level)'}: {message}".replace("\n", " ")


def check_config():
    try:
        validate(config, "../schemas/config.schema.yaml")
    except WorkflowError as error:
        # snakemake.utils.validate re-raises the jsonschema error as a string;
        # the original is the WorkflowError's context.
        cause = error.__context__
        if not hasattr(cause, "absolute_path"):
            raise
        fail(schema_error_message(cause))
    try:
        activations = check_all(config["activations"])
    except ActivationError as error:
        fail(str(error))
    for name, spec in config["datasets"].items():
        if spec["generator"] == "csv":
            try:
                table = read_checked_csv(spec["path"], spec["features"], spec["labels"])
            except DatasetError as error:
                fail(f"datasets.{name}.path: {error}")
            try:
                y = table[spec["labels"]].to_numpy()
                check_split(y, spec["validation_fraction"], spec["random_state"])
            except DatasetError as error:
                fail(f"datasets.{name}.path: {spec['path']}: {error}")
        else:
            try:
                check_split_sizes(spec["n_samples"], spec["validation_fraction"])
            except DatasetError as error:
                fail(f"datasets.{name}.n_samples: {error}")
    return activations


load_default_config()
ACTIVATIONS = check_config()
DATASETS = list(config["datasets"])
SEEDS = [int(seed) for seed in config["seeds"]]
PLANAR_GENERATORS = {"circles", "moons", "xor", "gauss", "spiral"}


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    activation="|".join(map(re.escape, ACTIVATIONS)),
    seed=r"\d+",


def script_hash(name):
    """Hash of an entry script and the actzoo modules it imports (see README)."""
    return code_hash(Path(workflow.basedir) / "workflow" / "scripts" / name)


def is_planar(dataset):
    spec = config["datasets"][dataset]
    if spec["generator"] == "csv":
        return len(spec["features"]) == 2
    return spec["generator"] in PLANAR_GENERATORS


def training_params(wildcards):
    """config["training"] without what cannot change this dataset's runs:
    threads never do, and boundary snapshots exist only for 2-D data."""
    training = {k: v for k, v in config["training"].items() if k != "threads"}
    if not is_planar(wildcards.dataset):
        training["snapshot_epochs"] = []
    return training


def grid_resolution(wildcards):
    """The boundary grid's resolution, for 2-D data only (see training_params)."""
    return config["figures"]["grid_resolution"] if is_planar(wildcards.dataset) else None


def planar_datasets():
    return [d for d in DATASETS if is_planar(d)]


def generator_params(wildcards):
    """A dataset's own settings, without its model (which does not change the data)."""
    spec = config["datasets"][wildcards.dataset]
    return {k: v for k, v in spec.items() if k != "model"}


def csv_input(wildcards):
    spec = config["datasets"][wildcards.dataset]
    return [spec["path"]] if spec["generator"] == "csv" else []


def model_params(wildcards):
    """The global model, with the dataset's override on top."""
    return {**config["model"], **config["datasets"][wildcards.dataset].get("model", {})}


def run_dir(dataset, activation, seed):
    return f"results/runs/{dataset}/{activation}/seed{seed}"


def runs(filename, datasets=None, activations=None, seeds=None):
    """One path per run, sorted by dataset, activation (config order), seed."""
    return [
        f"{run_dir(d, a, s)}/{filename}"
        for d in datasets or DATASETS
        for a in activations or ACTIVATIONS
        for s in seeds or SEEDS
    ]


def dataset_runs(filename):
    return lambda wildcards: runs(filename, datasets=[wildcards.dataset])


def first_seed_runs(filename):
    return lambda wildcards: runs(filename, datasets=[wildcards.dataset], seeds=SEEDS[:1])


def all_targets():
    figures = "results/figures"
    targets = [
        "results/histories.csv",
        "results/summary.csv",
        "results/comparisons.csv",
        "results/summary.md",
        "results/provenance.json",
    ]
    for ext in ("png", "svg"):
        targets.append(f"{figures}/activations.{ext}")
        targets += [f"{figures}/curves_{d}.{ext}" for d in DATASETS]
        for kind in ("boundaries", "evolution", "boundaries_seeds"):
            targets += [f"{figures}/{kind}_{d}.{ext}" for d in planar_datasets()]
    return targets
