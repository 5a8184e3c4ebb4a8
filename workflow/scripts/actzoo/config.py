"""actzoo's config: loading, schema validation with defaults, and the checks
a schema cannot express (activations, CSV files, split sizes).

Plain functions, called by ``workflow/rules/common.smk`` before any job runs
and by the tests. Every problem is a ``ConfigError`` whose message is one
line: the key or file, then what was expected. The workflow prints it as
``actzoo: config error: <message>``.
"""

import copy
import functools
from pathlib import Path

import yaml

from actzoo.activations import ActivationError, check_all
from actzoo.datasets import (
    BUNDLED_CLASS_SIZES,
    GENERATORS,
    DatasetError,
    check_bundled_split,
    check_split,
    check_split_sizes,
    csv_task,
    read_checked_csv,
)

# Resolved from this file, not from the working directory or the Snakefile
# that uses actzoo, so that it holds when actzoo is a Snakemake module.
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "config.schema.yaml"
PREFIX = "actzoo: config error:"
# Mappings whose keys are names the user chooses: given, they replace the file's.
REPLACED_WHOLE = ("datasets", "models")
ACTIVATION_FORMS = "expected a Keras activation name, 'module:function' or a mapping with a 'name'"


class ConfigError(ValueError):
    """A config that no job could run; the message is one line."""


def load_config(path, overrides=None):
    """The YAML file ``path`` with ``overrides`` over it.

    The file is read with ``yaml.safe_load`` (never Snakemake's loader, which
    runs YTE templates), so it never executes code. Settings merge key by
    key, as Snakemake's ``--configfile`` does (``training: {epochs: 5}``
    changes only the epochs), but a ``datasets`` mapping given replaces the
    file's: its keys are the data sets to run, not settings. A missing file is
    an error unless the overrides are a complete config on their own (every
    top-level key the schema requires).
    """
    from snakemake.utils import update_config

    path = Path(path)
    overrides = copy.deepcopy(dict(overrides or {}))
    if not path.is_file():
        lacking = [key for key in _schema()["required"] if key not in overrides]
        if not lacking:
            return overrides
        where = f"{path.name}: file not found in {path.parent.resolve()}"
        if not overrides:
            raise ConfigError(f"{where}; expected the experiment's config there, or a complete one with --configfile")
        raise ConfigError(f"{where}; expected it, as the config given lacks {', '.join(map(repr, lacking))}")
    try:
        with open(path) as handle:
            loaded = yaml.safe_load(handle)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(error).split())})") from None
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys, found {type(loaded).__name__}")
    update_config(loaded, overrides)
    for key in REPLACED_WHOLE:
        if key in overrides:
            loaded[key] = overrides[key]
    return loaded


def check_config(config, search_dir=None):
    """Reject what no job could run; returns the activations keyed by label.

    Fills the schema's defaults into ``config`` in place. Custom activations
    are imported from ``search_dir`` (default: the working directory) and CSV
    paths are read relative to the working directory, as the jobs will.
    """
    validate(config)
    try:
        activations = check_all(config["activations"], search_dir)
    except ActivationError as error:
        raise ConfigError(str(error)) from None
    for name, spec in config["datasets"].items():
        check_dataset(name, spec)
    check_test_splits(config["datasets"])
    check_adaptive_seeds(config)
    check_tuning(config)
    return activations


def check_test_splits(datasets):
    """Every data set has a test_fraction, or none: the statistics rank all
    data sets on one split (actzoo.scores.ranked_metric), and the overall
    ranks compare their scores across data sets."""
    split = [name for name, spec in datasets.items() if "test_fraction" in spec]
    if split and len(split) < len(datasets):
        lacking = next(name for name in datasets if name not in split)
        raise ConfigError(
            f"datasets.{lacking}.test_fraction: missing, while {split[0]!r} has one; expected a test_fraction for "
            "every data set or for none (the statistics rank all data sets on the same split)"
        )


def check_adaptive_seeds(config):
    """Adaptive seeds (a ``seeds`` mapping) need max >= the start seeds, and
    are judged per data set: not with variants or tuning (not built yet)."""
    seeds = config["seeds"]
    if not isinstance(seeds, dict):
        return
    if seeds["max"] < len(seeds["start"]):
        raise ConfigError(
            f"seeds.max: {seeds['max']} is fewer than the {len(seeds['start'])} start seeds; expected max >= len(start)"
        )
    for key in ("models", "tuning"):
        if config.get(key):
            raise ConfigError(
                f"seeds: adaptive seeds (a mapping) do not work with {key}: yet; expected a list of seeds"
            )


def check_tuning(config):
    """Tuning seeds must be disjoint from the evaluation seeds: a run that
    chose a setting must not also judge it."""
    tuning = config.get("tuning")
    if not tuning:
        return
    shared = sorted(set(tuning["seeds"]) & set(config["seeds"]))
    if shared:
        raise ConfigError(
            f"tuning.seeds: seed {shared[0]} is also an evaluation seed (seeds); expected tuning seeds that no "
            "evaluation run uses"
        )


def validate(config):
    """Check ``config`` against the schema and fill in its defaults (in place).

    Snakemake's ``validate`` does the work (defaults included). Its error is a
    WorkflowError with the jsonschema error as text only, so on failure the
    error is computed again from jsonschema's own error objects.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate as snakemake_validate

    try:
        snakemake_validate(config, str(SCHEMA_PATH), set_default=True)
    except WorkflowError:
        error = best_match(Draft202012Validator(_schema()).iter_errors(config))
        if error is None:  # not a schema error: let it surface as it is
            raise
        raise ConfigError(schema_error_message(error)) from None


def schema_error_message(error):
    """One line for a jsonschema ValidationError: the key, then what was expected."""
    # best_match descends into anyOf alternatives; an activation entry that fits
    # none of its forms is reported as a whole, with the forms it may take.
    for outer in _ancestors(error):
        if outer.validator in ("anyOf", "oneOf") and "activations" in outer.absolute_path:
            return f"{_key(outer.absolute_path)}: {outer.instance!r} is not valid; {ACTIVATION_FORMS}"
    key = _key(error.absolute_path)
    if error.validator == "additionalProperties":
        # Name the unknown key itself: a typo must point at the typo.
        allowed = list(error.schema.get("properties", {}))
        unknown = sorted(k for k in error.instance if k not in allowed)
        if unknown:
            key = f"{key}.{unknown[0]}" if key else unknown[0]
            return f"{key}: unknown key; expected one of {allowed}"
    return f"{key or '(top level)'}: {' '.join(error.message.split())}"


def check_dataset(name, spec):
    """The checks the schema cannot express: a CSV's contents, the split
    sizes. Fills in the data set's ``task`` (declared, the generator's, or
    detected from a CSV's labels), which decides the output layer and loss."""
    spec.setdefault("task", GENERATORS[spec["generator"]][1])
    fractions = (spec["validation_fraction"],)
    if spec["generator"] == "csv":
        try:  # its messages start with the file's path
            table = read_checked_csv(spec["path"], spec["features"], spec["labels"], spec.get("task"))
        except DatasetError as error:
            raise ConfigError(f"datasets.{name}.path: {error}") from None
        labels = table[spec["labels"]].to_numpy()
        spec["task"] = csv_task(labels, spec["task"])
        _check_split(name, spec, "path", check_split, labels, *fractions, spec["random_state"], spec["task"])
    elif spec["generator"] in BUNDLED_CLASS_SIZES:
        _check_split(
            name, spec, "validation_fraction", check_bundled_split, spec["generator"], *fractions, spec["random_state"]
        )
    else:
        _check_split(name, spec, "n_samples", check_split_sizes, spec["n_samples"], *fractions)


def _check_split(name, spec, key, check, *args):
    """Run the split-size ``check``: first without a test split, then with
    the data set's test_fraction, if any. Its DatasetError becomes a
    ConfigError naming ``key``, or test_fraction when only the test split
    fails (then that is what to change). A CSV's message starts with its path."""
    where = f"{spec['path']}: " if spec["generator"] == "csv" else ""
    test_fraction = spec.get("test_fraction")
    checks = [(None, key)] + ([(test_fraction, "test_fraction")] if test_fraction is not None else [])
    for fraction, named in checks:
        try:
            check(*args, test_fraction=fraction)
        except DatasetError as error:
            raise ConfigError(f"datasets.{name}.{named}: {where}{error}") from None


def _key(path):
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _ancestors(error):
    while error is not None:
        yield error
        error = error.parent


@functools.cache
def _schema():
    return yaml.safe_load(SCHEMA_PATH.read_text())
