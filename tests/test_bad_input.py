"""The bad-input matrix: every malformed config or input file is rejected
before any job runs, with one line naming the key or file and what was
expected.

The matrix calls actzoo.config in-process, as workflow/rules/common.smk does.
A handful of real ``snakemake`` runs then show that the line reaches the
terminal, alone and without a traceback, that the exit status is non-zero
and that nothing is written.
"""

import copy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from actzoo.config import ConfigError, check_config, load_config
from conftest import TINY_CONFIG, copy_workflow, write_config

FIXTURES = Path(__file__).parent / "fixtures"
PREFIX = "actzoo: config error:"

CSV_CONFIG = {
    **copy.deepcopy(TINY_CONFIG),
    "datasets": {"table": {"generator": "csv", "path": "data.csv", "features": ["x1", "x2"], "labels": ["y"]}},
}


def tiny(**changes):
    """TINY_CONFIG with ``changes``: dotted keys ("training.epochs") set, None deletes."""
    config = copy.deepcopy(TINY_CONFIG)
    return _apply(config, changes)


def tuned(**changes):
    """TINY_CONFIG with a valid ``tuning:`` block, ``changes`` set in it (None deletes)."""
    tuning = {"seeds": [11, 12], "grid": {"learning_rate": [0.001, 0.01]}}
    return tiny(tuning=_apply(tuning, changes))


def csv(fixture, **changes):
    """A config whose one data set is ``fixture`` (copied to data.csv; None: no file)."""
    return _apply(copy.deepcopy(CSV_CONFIG), changes), {"data.csv": fixture}


def classes_csv(fixture, **changes):
    """csv() with the one label column "species" of class numbers."""
    return csv(fixture, **{"datasets.table.labels": ["species"], **changes})


def _apply(config, changes):
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = config
        for key in parents:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return config


def case(case_id, config, key, phrase, files=None):
    if isinstance(config, tuple):
        config, files = config
    return pytest.param(config, files or {}, key, phrase, id=case_id)


CUSTOM = {"custom_acts.py": "custom_acts.py", "broken_acts.py": "broken_acts.py"}

# id, config (or (config, files)), the key or file the message must name, a phrase of what was expected
CASES = [
    # wrong types
    case("seeds-as-string", tiny(seeds="1, 2"), "seeds", "is not of type 'array'"),
    case(
        "smallest-effect-zero",
        tiny(statistics={"smallest_effect": 0}),
        "statistics.smallest_effect",
        "less than or equal to the minimum of 0",
    ),
    case(
        "smallest-effect-negative",
        tiny(statistics={"smallest_effect": -0.01}),
        "statistics.smallest_effect",
        "less than or equal to the minimum of 0",
    ),
    case(
        "bootstrap-resamples-too-few",
        tiny(statistics={"bootstrap_resamples": 10}),
        "statistics.bootstrap_resamples",
        "less than the minimum of 100",
    ),
    case("aso-as-string", tiny(statistics={"aso": "yes"}), "statistics.aso", "is not of type 'boolean'"),
    case("seed-not-integer", tiny(seeds=[1, 2.5]), "seeds[1]", "is not of type 'integer'"),
    case("seeds-repeated", tiny(seeds=[1, 1]), "seeds", "has non-unique elements"),
    case(
        "adaptive-seeds-add-zero",
        tiny(seeds={"start": [1, 2], "add": 0, "max": 4}),
        "seeds.add",
        "less than the minimum of 1",
    ),
    case(
        "adaptive-seeds-max-below-start",
        tiny(seeds={"start": [1, 2, 3], "add": 1, "max": 2}),
        "seeds.max",
        "expected max >= len(start)",
    ),
    case("adaptive-seeds-one-start", tiny(seeds={"start": [1], "add": 1, "max": 4}), "seeds.start", "is too short"),
    case(
        "adaptive-seeds-start-repeated",
        tiny(seeds={"start": [1, 1], "add": 1, "max": 4}),
        "seeds.start",
        "has non-unique elements",
    ),
    case(
        "adaptive-seeds-without-max", tiny(seeds={"start": [1, 2], "add": 1}), "seeds", "'max' is a required property"
    ),
    case(
        "adaptive-seeds-typo",
        tiny(seeds={"start": [1, 2], "add": 1, "max": 4, "maximum": 5}),
        "seeds.maximum",
        "unknown key; expected one of ['start', 'add', 'max']",
    ),
    case(
        "adaptive-seeds-with-models",
        tiny(seeds={"start": [1, 2], "add": 1, "max": 4}, models={"deep": {"hidden_units": [4, 4]}}),
        "seeds",
        "do not work with models",
    ),
    case(
        "adaptive-seeds-with-tuning",
        tuned() | {"seeds": {"start": [1, 2], "add": 1, "max": 4}},
        "seeds",
        "do not work with tuning",
    ),
    case("epochs-as-word", tiny(**{"training.epochs": "ten"}), "training.epochs", "is not of type 'integer'"),
    case("shuffle-as-string", tiny(**{"training.shuffle": "yes"}), "training.shuffle", "is not of type 'boolean'"),
    case(
        "diagnostics-as-string",
        tiny(**{"training.diagnostics": "on"}),
        "training.diagnostics",
        "is not of type 'boolean'",
    ),
    # out of range
    case("epochs-zero", tiny(**{"training.epochs": 0}), "training.epochs", "less than the minimum of 1"),
    case("batch-size-zero", tiny(**{"training.batch_size": 0}), "training.batch_size", "less than the minimum of 1"),
    # model variants
    case("models-empty", tiny(models={}), "models", "should be non-empty"),
    case("model-name-with-slash", tiny(models={"a/b": {"hidden_units": [2]}}), "models", "does not match"),
    case("model-variant-empty", tiny(models={"deep": {}}), "models.deep", "should be non-empty"),
    case(
        "model-variant-no-units",
        tiny(models={"deep": {"hidden_units": []}}),
        "models.deep.hidden_units",
        "should be non-empty",
    ),
    case(
        "model-variant-unknown-key",
        tiny(models={"deep": {"layers": 3}}),
        "models.deep.layers",
        "unknown key; expected one of ['hidden_units', 'initializer', 'training']",
    ),
    case(
        "model-variant-execution-key",
        tiny(models={"deep": {"training": {"threads": 2}}}),
        "models.deep.training.threads",
        "unknown key",
    ),
    case(
        "model-variant-optimizer",
        tiny(models={"deep": {"training": {"optimizer": "sgdx"}}}),
        "models.deep.training.optimizer",
        "is not one of",
    ),
    case(
        "explorer-frames-zero",
        tiny(**{"figures.explorer_frames": 0}),
        "figures.explorer_frames",
        "less than the minimum of 1",
    ),
    case(
        "explorer-seeds-as-list",
        tiny(**{"figures.explorer_seeds": [1, 2]}),
        "figures.explorer_seeds",
        "is not of type 'integer'",
    ),
    case(
        "validation-fraction-zero",
        tiny(**{"datasets.circles.validation_fraction": 0}),
        "datasets.circles.validation_fraction",
        "less than or equal to the minimum of 0",
    ),
    case(
        "validation-fraction-1.5",
        tiny(**{"datasets.circles.validation_fraction": 1.5}),
        "datasets.circles.validation_fraction",
        "greater than or equal to the maximum of 1",
    ),
    case(
        "n-samples-too-small-for-split",
        tiny(**{"datasets.circles.n_samples": 10, "datasets.circles.validation_fraction": 0.3}),
        "datasets.circles.n_samples",
        "expected at least 10 rows in each split",
    ),
    case("learning-rate-negative", tiny(**{"training.learning_rate": -0.1}), "training.learning_rate", "minimum"),
    # unknown names
    case("unknown-activation", tiny(activations=["tanh", "relux"]), "activations[1]", "unknown activation 'relux'"),
    case(
        "unknown-generator",
        tiny(**{"datasets.circles.generator": "bloobs"}),
        "datasets.circles.generator",
        "is not one of ['circles'",
    ),
    case("unknown-optimizer", tiny(**{"training.optimizer": "adamm"}), "training.optimizer", "is not one of ['adam'"),
    case(
        "unknown-activation-argument",
        tiny(activations=[{"name": "leaky_relu", "slope": 0.1}]),
        "activations[0]",
        "takes no argument 'slope'",
    ),
    # activation lists and labels
    case(
        "activation-mapping-without-name",
        tiny(activations=[{"label": "mine"}]),
        "activations[0]",
        "expected a Keras activation name, 'module:function' or a mapping with a 'name'",
    ),
    case("empty-activation-list", tiny(activations=[]), "activations", "should be non-empty"),
    case("duplicate-labels", tiny(activations=["tanh", "tanh"]), "activations[1].label", "duplicate label 'tanh'"),
    case(
        "path-unsafe-label",
        tiny(activations=["tanh", {"name": "relu", "label": "../relu"}]),
        "activations[1].label",
        "is not path-safe",
    ),
    case(
        "path-unsafe-dataset-name",
        tiny(datasets={"a/b": {"generator": "circles", "n_samples": 120}}),
        "datasets",
        "does not match",
    ),
    # custom activations (trusted module:function)
    case(
        "custom-module-missing",
        tiny(activations=["tanh", "no_such_module:f"]),
        "activations[1]",
        "cannot import module 'no_such_module'",
    ),
    case(
        "custom-module-fails-on-import",
        tiny(activations=["tanh", "broken_acts:f"]),
        "activations[1]",
        "ZeroDivisionError",
        CUSTOM,
    ),
    case(
        "custom-function-missing",
        tiny(activations=["tanh", "custom_acts:nope"]),
        "activations[1]",
        "has no 'nope'",
        CUSTOM,
    ),
    case(
        "custom-not-callable",
        tiny(activations=["tanh", "custom_acts:not_callable"]),
        "activations[1]",
        "'not_callable' is not callable",
        CUSTOM,
    ),
    # CSV inputs
    case("csv-missing", csv(None), "datasets.table.path", "data.csv: file not found"),
    case("csv-empty", csv("empty.csv"), "datasets.table.path", "data.csv: file is empty"),
    case("csv-non-numeric-feature", csv("non_numeric.csv"), "datasets.table.path", "column 'x2' is not numeric"),
    case(
        "csv-labels-not-0-1",
        csv("labels_not_binary.csv", **{"datasets.table.task": "binary"}),
        "datasets.table.path",
        "must hold only 0 and 1, found [0, 1, 2] (class numbers need task: multiclass)",
    ),
    case("csv-nan", csv("nan_value.csv"), "datasets.table.path", "missing (NaN) values"),
    case("csv-single-class", csv("single_class.csv"), "datasets.table.path", "single class"),
    case(
        "csv-missing-column",
        csv("good.csv", **{"datasets.table.features": ["x1", "x3"]}),
        "datasets.table.path",
        "data.csv: no column 'x3'",
    ),
    case("csv-too-few-rows-for-split", csv("too_few_rows.csv"), "datasets.table.path", "data.csv: 8 rows"),
    # tasks, the multiclass and real data sets
    case(
        "task-contradicts-generator",
        tiny(**{"datasets.circles.task": "multiclass"}),
        "datasets.circles.task",
        "'binary' was expected",
    ),
    case(
        "task-unknown", csv("good.csv", **{"datasets.table.task": "multiclas"}), "datasets.table.task", "is not one of"
    ),
    case(
        "standardize-not-boolean",
        tiny(**{"datasets.circles.standardize": "yes"}),
        "datasets.circles.standardize",
        "is not of type 'boolean'",
    ),
    case(
        "blobs-one-class",
        tiny(datasets={"b": {"generator": "blobs", "n_classes": 1}}),
        "datasets.b.n_classes",
        "less than the minimum of 2",
    ),
    case(
        "real-data-n-samples",
        tiny(datasets={"iris": {"generator": "iris", "n_samples": 100}}),
        "datasets.iris.n_samples",
        "unknown key",
    ),
    case(
        "real-data-split-too-small",
        tiny(datasets={"wine": {"generator": "wine", "validation_fraction": 0.97}}),
        "datasets.wine.validation_fraction",
        "leaves 1 row(s) of the smallest class of wine (48 rows)",
    ),
    case(
        "multiclass-several-label-columns",
        csv("good.csv", **{"datasets.table.labels": ["y", "x1"], "datasets.table.task": "multiclass"}),
        "datasets.table.path",
        "task multiclass takes one label column of class numbers; 2 are given",
    ),
    case(
        "multilabel-one-label-column",
        csv("good.csv", **{"datasets.table.task": "multilabel"}),
        "datasets.table.path",
        "task multilabel takes two or more 0/1 label columns",
    ),
    case(
        "multiclass-fractional-classes",
        classes_csv("classes_fractional.csv", **{"datasets.table.task": "multiclass"}),
        "datasets.table.path",
        "label column 'species' must hold integer class numbers, found 0.5",
    ),
    case(
        "multiclass-labels-detected-binary",
        classes_csv("classes_fractional.csv"),
        "datasets.table.path",
        "must hold only 0 and 1, found [0.5, 1.5, 2.5]",
    ),
    case(
        "multiclass-class-too-rare-to-stratify",
        classes_csv("rare_class.csv"),
        "datasets.table.path",
        "data.csv: class 9 has 1 row; a stratified split needs at least 4 (2 in each split)",
    ),
    case(
        "multiclass-class-too-rare-for-both-splits",
        classes_csv("multiclass.csv", **{"datasets.table.validation_fraction": 0.05}),
        "datasets.table.path",
        "leave 1 row(s) of class 3 in the validation split",
    ),
    # the test split (issue 20): bad fractions, and splits or classes left too small
    case(
        "test-fraction-zero",
        tiny(**{"datasets.circles.test_fraction": 0}),
        "datasets.circles.test_fraction",
        "less than or equal to the minimum of 0",
    ),
    case(
        "test-fraction-one",
        tiny(**{"datasets.circles.test_fraction": 1}),
        "datasets.circles.test_fraction",
        "greater than or equal to the maximum of 1",
    ),
    case(
        "test-fraction-as-string",
        tiny(**{"datasets.circles.test_fraction": "0.2"}),
        "datasets.circles.test_fraction",
        "is not of type 'number'",
    ),
    case(
        "fractions-add-up-to-one",
        tiny(**{"datasets.circles.test_fraction": 0.7}),
        "datasets.circles.test_fraction",
        "validation_fraction 0.3 and test_fraction 0.7 add up to 1, leaving no training rows; expected "
        "validation_fraction + test_fraction < 1",
    ),
    case(
        "fractions-above-one-on-real-data",
        tiny(datasets={"iris": {"generator": "iris", "test_fraction": 0.8}}),
        "datasets.iris.test_fraction",
        "add up to 1.1, leaving no training rows",
    ),
    case(
        "test-split-too-small",
        tiny(**{"datasets.circles.test_fraction": 0.05}),
        "datasets.circles.test_fraction",
        "120 rows with validation_fraction 0.3 and test_fraction 0.05 leave 78 training, 36 validation and 6 test "
        "rows; expected at least 10 rows in each split",
    ),
    case(
        "test-split-leaves-training-too-small",
        tiny(**{"datasets.circles.test_fraction": 0.65}),
        "datasets.circles.test_fraction",
        "leave 6 training, 36 validation and 78 test rows",
    ),
    case(
        "test-split-fewer-rows-than-classes",
        tiny(datasets={"wine": {"generator": "wine", "test_fraction": 0.01}}),
        "datasets.wine.test_fraction",
        "178 rows cannot be split with validation_fraction 0.3 and test_fraction 0.01 (The test_size = 2 should be "
        "greater or equal to the number of classes = 3)",
    ),
    case(
        "test-split-leaves-a-real-class-short",
        tiny(datasets={"iris": {"generator": "iris", "test_fraction": 0.03}}),
        "datasets.iris.test_fraction",
        "leave 1 row(s) of class 2 in the test split",
    ),
    case(
        "test-split-leaves-a-csv-class-short",
        classes_csv("multiclass.csv", **{"datasets.table.test_fraction": 0.05}),
        "datasets.table.test_fraction",
        "data.csv: 60 rows with validation_fraction 0.3 and test_fraction 0.05 leave 1 row(s) of class 3 in the "
        "test split",
    ),
    case(
        "csv-class-too-rare-for-three-splits",
        classes_csv(
            "five_of_a_class.csv", **{"datasets.table.validation_fraction": 0.4, "datasets.table.test_fraction": 0.2}
        ),
        "datasets.table.test_fraction",
        "data.csv: class 2 has 5 rows; a stratified split needs at least 6 (2 in each split)",
    ),
    case(
        "test-split-on-some-data-sets-only",
        tiny(**{"datasets.sensors.test_fraction": 0.2}),
        "datasets.circles.test_fraction",
        "missing, while 'sensors' has one; expected a test_fraction for every data set or for none",
    ),
    case(
        "csv-too-small-without-a-test-split-too",
        csv("too_few_rows.csv", **{"datasets.table.test_fraction": 0.2}),
        "datasets.table.path",
        "data.csv: 8 rows",
    ),
    # model
    case("hidden-units-empty", tiny(**{"model.hidden_units": []}), "model.hidden_units", "should be non-empty"),
    case(
        "hidden-units-zero",
        tiny(**{"model.hidden_units": [4, 0]}),
        "model.hidden_units[1]",
        "less than the minimum of 1",
    ),
    case(
        "dataset-hidden-units-zero",
        tiny(**{"datasets.sensors.model.hidden_units": [0]}),
        "datasets.sensors.model.hidden_units[0]",
        "less than the minimum of 1",
    ),
    # initializers (issue 20, item 5): checked without importing TensorFlow
    case(
        "initializer-unknown",
        tiny(**{"model.initializer": "he_normall"}),
        "model.initializer",
        "'he_normall' is not one of ['matched', 'glorot_normal'",
    ),
    case(
        "initializer-not-a-name",
        tiny(**{"datasets.circles.model": {"initializer": {"class_name": "HeNormal"}}}),
        "datasets.circles.model.initializer",
        "is not one of ['matched'",
    ),
    case(
        "variant-initializer-unknown",
        tiny(models={"he": {"initializer": "He"}}),
        "models.he.initializer",
        "'He' is not one of",
    ),
    # unknown keys: a typo must not be silently ignored
    case("typo-training-epoch", tiny(**{"training.epoch": 5}), "training.epoch", "unknown key; expected one of"),
    case("typo-top-level-seed", tiny(seed=1), "seed", "unknown key; expected one of ['seeds'"),
    case("typo-dataset-noize", tiny(**{"datasets.circles.noize": 0.1}), "datasets.circles.noize", "unknown key"),
    case("missing-required-epochs", tiny(**{"training.epochs": None}), "training", "'epochs' is a required property"),
    # tuning
    case("tuning-grid-empty", tuned(grid={}), "tuning.grid", "should be non-empty"),
    case("tuning-grid-values-empty", tuned(grid={"learning_rate": []}), "tuning.grid.learning_rate", "non-empty"),
    case(
        "tuning-grid-unknown-key",
        tuned(grid={"momentum": [0.9]}),
        "tuning.grid.momentum",
        "unknown key; expected one of ['learning_rate', 'epochs', 'batch_size', 'optimizer', 'initializer']",
    ),
    case(
        "tuning-objective-not-recorded",
        tuned(objective="test_loss"),
        "tuning.objective",
        "'test_loss' is not one of ['val_loss', 'val_accuracy']",
    ),
    case(
        "tuning-seeds-overlap",
        tuned(seeds=[11, 2]),
        "tuning.seeds",
        "seed 2 is also an evaluation seed (seeds); expected tuning seeds that no evaluation run uses",
    ),
    case("tuning-without-seeds", tuned(seeds=None), "tuning", "'seeds' is a required property"),
    case(
        "tuning-learning-rate-zero",
        tuned(grid={"learning_rate": [0.01, 0]}),
        "tuning.grid.learning_rate[1]",
        "less than or equal to the minimum of 0",
    ),
]


def place(directory, config, files):
    """``config`` as config.yaml in ``directory``, with the fixture ``files``."""
    directory.mkdir(parents=True, exist_ok=True)
    write_config(directory, config)
    for name, fixture in files.items():
        if fixture is not None:
            shutil.copy(FIXTURES / fixture, directory / name)
    return directory


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory as the workflow has: the CSV paths and custom
    activation modules of a config are found there. Restores sys.path and
    forgets the fixture modules afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in CUSTOM:
        sys.modules.pop(Path(name).stem, None)


def config_error(directory):
    """The one-line message of actzoo.config for the config.yaml in ``directory``."""
    with pytest.raises(ConfigError) as raised:
        check_config(load_config(directory / "config.yaml"), search_dir=directory)
    message = str(raised.value)
    assert "\n" not in message, f"one line: {message!r}"
    return message


@pytest.mark.parametrize("config, files, key, phrase", CASES)
def test_rejected_with_one_line_naming_the_key(workdir, config, files, key, phrase):
    message = config_error(place(workdir, config, files))
    assert message.startswith(f"{key}:"), f"the message starts with the key: {message}"
    assert phrase in message, message
    if key.startswith(("datasets.table.path", "datasets.table.test_fraction")):
        assert "data.csv" in message, "a CSV problem names the file"


VALID_CASES = [
    # batch_size above the training-set size is accepted: both engines then
    # train full-batch (one batch per epoch), a legitimate choice.
    pytest.param(tiny(**{"training.batch_size": 10_000}), {}, id="batch-size-above-training-rows"),
    # The fixtures behind the CSV and custom-activation cases are otherwise valid.
    pytest.param(
        _apply(copy.deepcopy(CSV_CONFIG), {"activations": ["tanh", "custom_acts:scaled_tanh"]}),
        {"data.csv": "good.csv", **CUSTOM},
        id="good-csv-and-custom-activation",
    ),
    # Classes 3, 5 and 7 in one column: detected as a multiclass task.
    pytest.param(*classes_csv("multiclass.csv"), id="multiclass-csv-detected"),
    pytest.param(
        tuned(grid={"learning_rate": [0.01, 0.1], "batch_size": [8, 16], "initializer": ["matched", "he_uniform"]}),
        {},
        id="tuning-grid",
    ),
    pytest.param(
        tiny(datasets={name: {"generator": name} for name in ("iris", "wine", "breast_cancer", "digits", "blobs")}),
        {},
        id="real-and-multiclass-data-sets",
    ),
    # Initializers: global, per data set, per variant.
    pytest.param(
        {
            **tiny(**{"model.initializer": "matched", "datasets.circles.model": {"initializer": "he_uniform"}}),
            "models": {"orthogonal": {"initializer": "orthogonal"}, "plain": {"hidden_units": [4]}},
        },
        {},
        id="initializers",
    ),
    # Every kind of data set with a test split: generated, real, a user's classes.
    pytest.param(
        {
            **tiny(),
            "datasets": {
                **{name: {"generator": name, "test_fraction": 0.2} for name in ("circles", "sensors", "iris", "wine")},
                "table": {
                    "generator": "csv",
                    "path": "data.csv",
                    "features": ["x1", "x2"],
                    "labels": ["species"],
                    "test_fraction": 0.2,
                },
            },
        },
        {"data.csv": "multiclass.csv"},
        id="test-splits",
    ),
]


@pytest.mark.parametrize("config, files", VALID_CASES)
def test_valid_inputs_pass_the_checks(workdir, cli_outcomes, request, config, files):
    """In-process, and in a real dry run, which plans the training jobs."""
    place(workdir, config, files)
    assert len(check_config(load_config(workdir / "config.yaml"), search_dir=workdir)) == len(config["activations"])
    _, result = cli_outcomes[request.node.callspec.id]
    assert result.returncode == 0, result.stderr[-3000:]
    assert PREFIX not in result.stderr
    assert "train" in result.stdout


def test_schema_defaults_are_filled_in(tmp_path):
    write_config(tmp_path, TINY_CONFIG)
    config = load_config(tmp_path / "config.yaml")
    check_config(config)
    assert config["training"]["optimizer"] == "adam"
    assert config["training"]["threads"] == 1
    assert config["training"]["diagnostics"] is True, "diagnostics are on by default"
    assert config["statistics"] == {
        "accuracy_threshold": 0.9,
        "alpha": 0.05,
        "smallest_effect": 0.01,
        "bootstrap_resamples": 2000,
        "bootstrap_seed": 0,
        "aso": False,
    }
    assert config["datasets"]["circles"]["validation_fraction"] == 0.3
    assert config["datasets"]["circles"]["n_samples"] == 120, "a value given stays"


def test_overrides_go_over_the_file(tmp_path):
    """As with --configfile: the keys given replace those of config.yaml, the
    others stay; settings merge key by key, while data sets given replace the
    file's (they name what to run)."""
    write_config(tmp_path, TINY_CONFIG)
    moons = {"moons": {"generator": "moons"}}
    config = load_config(tmp_path / "config.yaml", {"seeds": [7], "training": {"epochs": 3}, "datasets": moons})
    assert config["seeds"] == [7]
    assert config["training"] == {**TINY_CONFIG["training"], "epochs": 3}
    assert config["datasets"] == moons
    assert {k: v for k, v in config.items() if k not in ("seeds", "training", "datasets")} == {
        k: v for k, v in TINY_CONFIG.items() if k not in ("seeds", "training", "datasets")
    }


def test_missing_config_file_is_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as raised:
        load_config("config.yaml")
    assert str(raised.value) == (
        f"config.yaml: file not found in {tmp_path}; "
        "expected the experiment's config there, or a complete one with --configfile"
    )
    # A partial config given on the command line needs config.yaml below it.
    with pytest.raises(ConfigError) as raised:
        load_config("config.yaml", {"seeds": [1], "training": {"epochs": 2}})
    assert str(raised.value) == (
        f"config.yaml: file not found in {tmp_path}; "
        "expected it, as the config given lacks 'activations', 'datasets', 'model'"
    )
    # A complete one (`--configfile full.yaml`) does not.
    assert load_config("config.yaml", TINY_CONFIG) == TINY_CONFIG


@pytest.mark.parametrize(
    "text, expected",
    [
        ("seeds: [1\n", "config.yaml: not valid YAML (while parsing a flow sequence"),
        ("- seeds\n", "config.yaml: expected a mapping of config keys, found list"),
    ],
)
def test_unreadable_config_file_is_one_line_naming_it(tmp_path, monkeypatch, text, expected):
    monkeypatch.chdir(tmp_path)
    Path("config.yaml").write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config("config.yaml")
    assert str(raised.value).startswith(expected) and "\n" not in str(raised.value)


# End to end: a few cases, one per source of errors (schema, activation import,
# CSV contents, split sizes, the config file itself), through the real CLI.
CLI_CASES = [
    "typo-top-level-seed",
    "task-contradicts-generator",
    "custom-module-fails-on-import",
    "csv-labels-not-0-1",
    "n-samples-too-small-for-split",
    "tuning-seeds-overlap",
    "test-split-leaves-a-csv-class-short",
]


def prepare(directory, config, files):
    copy_workflow(directory, config)
    for name, fixture in files.items():
        if fixture is not None:
            shutil.copy(FIXTURES / fixture, directory / name)
    return directory


class snakemake_cli:
    """``python -m snakemake --cores 1 *args`` in ``directory``, started at once."""

    def __init__(self, directory, *args):
        self.directory = directory
        self.process = subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--cores", "1", *args],
            cwd=directory,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_for(self):
        stdout, stderr = self.process.communicate(timeout=300)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def cli_outcomes(tmp_path_factory):
    """Every command-line case run once, all started together (each costs
    ~2.5 s of start-up); {id: (directory, result)}."""
    root = tmp_path_factory.mktemp("bad_input_cli")
    started = {}
    for param in CASES:
        if param.id in CLI_CASES:
            started[param.id] = snakemake_cli(prepare(root / param.id, *param.values[:2]))
    missing = prepare(root / "config-missing", TINY_CONFIG, {})
    (missing / "config.yaml").unlink()
    started["config-missing"] = snakemake_cli(missing)
    for param in VALID_CASES:
        started[param.id] = snakemake_cli(prepare(root / param.id, *param.values), "--dry-run")
    return {case_id: (run.directory, run.wait_for()) for case_id, run in started.items()}


@pytest.mark.parametrize("case_id", CLI_CASES + ["config-missing"])
def test_the_command_line_shows_the_one_line_and_writes_nothing(cli_outcomes, case_id, workdir):
    directory, result = cli_outcomes[case_id]
    assert result.returncode != 0, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith(PREFIX)]
    assert len(lines) == 1, result.stderr[-3000:]
    assert PREFIX not in result.stderr.replace(lines[0], ""), "the message appears once"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert not (directory / "results").exists(), "nothing is written under results/"
    assert not (directory / "logs").exists(), "no job ran"
    if case_id == "config-missing":
        assert lines[0].startswith(f"{PREFIX} config.yaml: file not found in {directory}; "), lines[0]
    else:  # the very message the in-process matrix checks
        param = next(p for p in CASES if p.id == case_id)
        assert lines[0] == f"{PREFIX} {config_error(place(workdir, *param.values[:2]))}"
