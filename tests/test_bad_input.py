"""The bad-input matrix: every malformed config or input file is rejected by
Snakemake before any job runs, with one line naming the key or file and what
was expected, and nothing is written under results/.

Each case is a real ``snakemake`` run in a private copy of the workflow. The
runs happen once, two at a time, in a module fixture (each costs ~2.5 s of
start-up); the parametrized tests then check one outcome each.
"""

import copy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TINY_CONFIG, copy_workflow

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


def csv(fixture, **changes):
    """A config whose one data set is ``fixture`` (copied to data.csv; None: no file)."""
    return _apply(copy.deepcopy(CSV_CONFIG), changes), {"data.csv": fixture}


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
    case("seed-not-integer", tiny(seeds=[1, 2.5]), "seeds[1]", "is not of type 'integer'"),
    case("seeds-repeated", tiny(seeds=[1, 1]), "seeds", "has non-unique elements"),
    case("epochs-as-word", tiny(**{"training.epochs": "ten"}), "training.epochs", "is not of type 'integer'"),
    case("shuffle-as-string", tiny(**{"training.shuffle": "yes"}), "training.shuffle", "is not of type 'boolean'"),
    # out of range
    case("epochs-zero", tiny(**{"training.epochs": 0}), "training.epochs", "less than the minimum of 1"),
    case("batch-size-zero", tiny(**{"training.batch_size": 0}), "training.batch_size", "less than the minimum of 1"),
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
        tiny(**{"datasets.circles.generator": "blobs"}),
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
    case("csv-labels-not-0-1", csv("labels_not_binary.csv"), "datasets.table.path", "must hold only 0 and 1, found [0, 1, 2]"),
    case("csv-nan", csv("nan_value.csv"), "datasets.table.path", "missing (NaN) values"),
    case("csv-single-class", csv("single_class.csv"), "datasets.table.path", "single class"),
    case(
        "csv-missing-column",
        csv("good.csv", **{"datasets.table.features": ["x1", "x3"]}),
        "datasets.table.path",
        "data.csv: no column 'x3'",
    ),
    case(
        "csv-too-few-rows-for-split", csv("too_few_rows.csv"), "datasets.table.path", "data.csv: 8 rows"
    ),
    # model
    case("hidden-units-empty", tiny(**{"model.hidden_units": []}), "model.hidden_units", "should be non-empty"),
    case("hidden-units-zero", tiny(**{"model.hidden_units": [4, 0]}), "model.hidden_units[1]", "less than the minimum of 1"),
    case(
        "dataset-hidden-units-zero",
        tiny(**{"datasets.sensors.model.hidden_units": [0]}),
        "datasets.sensors.model.hidden_units[0]",
        "less than the minimum of 1",
    ),
    # unknown keys: a typo must not be silently ignored
    case("typo-training-epoch", tiny(**{"training.epoch": 5}), "training.epoch", "unknown key; expected one of"),
    case("typo-top-level-seed", tiny(seed=1), "seed", "unknown key; expected one of ['seeds'"),
    case("typo-dataset-noize", tiny(**{"datasets.circles.noize": 0.1}), "datasets.circles.noize", "unknown key"),
    case("missing-required-epochs", tiny(**{"training.epochs": None}), "training", "'epochs' is a required property"),
]


# Runs `snakemake --cores 1` in each directory given as an argument. Imports
# cost ~2 s of the ~2.5 s per run, so they happen once and every run is a
# fork, with its own working directory, stdout and stderr (next to the copy,
# never in it) and exit status -- the same as `python -m snakemake --cores 1`
# there, which test_forked_runs_match_the_command_line checks.
RUNNER = """
import os, sys
import jsonschema, numpy, pandas, sklearn.datasets, sklearn.model_selection, snakemake.cli, yaml
for directory in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        os.chdir(directory)
        for fd, suffix in ((1, ".stdout"), (2, ".stderr")):
            os.dup2(os.open(directory + suffix, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        try:
            snakemake.cli.main(["--cores", "1"])
            code = 0
        except SystemExit as exit:  # what the interpreter does with an uncaught SystemExit
            code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
            if not isinstance(exit.code, (int, type(None))):
                print(exit.code, file=sys.stderr)
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    with open(directory + ".rc", "w") as rc:
        rc.write(str(os.waitstatus_to_exitcode(status)))
"""


def prepare(directory, config, files):
    copy_workflow(directory, config)
    for name, fixture in files.items():
        if fixture is not None:
            shutil.copy(FIXTURES / fixture, directory / name)
    return directory


def snakemake_cli(directory, *args):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Run every case once; {id: (directory, returncode, stderr)}."""
    root = tmp_path_factory.mktemp("bad_input")
    directories = {p.id: prepare(root / p.id, *p.values[:2]) for p in CASES}
    subprocess.run([sys.executable, "-c", RUNNER, *map(str, directories.values())], check=True, timeout=600)
    return {
        case_id: (
            directory,
            int(Path(f"{directory}.rc").read_text()),
            Path(f"{directory}.stderr").read_text(),
        )
        for case_id, directory in directories.items()
    }


@pytest.mark.parametrize("config, files, key, phrase", CASES)
def test_rejected_before_any_job(outcomes, request, config, files, key, phrase):
    directory, returncode, stderr = outcomes[request.node.callspec.id]
    assert returncode != 0, stderr[-3000:]
    lines = [line for line in stderr.splitlines() if line.startswith(PREFIX)]
    assert len(lines) == 1, stderr[-3000:]
    message = lines[0][len(PREFIX) :].strip()
    assert key in message and phrase in message, message
    assert message.startswith(f"{key}:"), f"the message starts with the key: {message}"
    if key.startswith("datasets.table.path"):
        assert "data.csv" in message, "a CSV problem names the file"
    assert "Traceback" not in stderr, stderr[-3000:]
    assert not (directory / "results").exists(), "nothing is written under results/"
    assert not (directory / "logs").exists(), "no job ran"


def test_forked_runs_match_the_command_line(outcomes, tmp_path):
    """The runner's fork gives what `python -m snakemake --cores 1` gives."""
    for case_id in ("typo-top-level-seed", "csv-missing"):
        param = next(p for p in CASES if p.id == case_id)
        result = snakemake_cli(prepare(tmp_path / case_id, *param.values[:2]))
        directory, returncode, stderr = outcomes[case_id]
        assert result.returncode == returncode
        assert [line for line in result.stderr.splitlines() if line.startswith(PREFIX)] == [
            line for line in stderr.splitlines() if line.startswith(PREFIX)
        ]


@pytest.mark.parametrize(
    "config, files",
    [
        # batch_size above the training-set size is accepted: both engines then
        # train full-batch (one batch per epoch), a legitimate choice.
        pytest.param(tiny(**{"training.batch_size": 10_000}), {}, id="batch-size-above-training-rows"),
        # The fixtures behind the CSV and custom-activation cases are otherwise valid.
        pytest.param(
            _apply(copy.deepcopy(CSV_CONFIG), {"activations": ["tanh", "custom_acts:scaled_tanh"]}),
            {"data.csv": "good.csv", **CUSTOM},
            id="good-csv-and-custom-activation",
        ),
    ],
)
def test_valid_inputs_pass_the_checks(tmp_path, config, files):
    directory = prepare(tmp_path / "run", config, files)
    result = snakemake_cli(directory, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    assert PREFIX not in result.stderr
    assert "train" in result.stdout
