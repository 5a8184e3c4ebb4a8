"""actzoo used as a Snakemake module, the way `snakedeploy deploy-workflow`
sets it up: a client project with its own Snakefile and config, pointing at
actzoo's Snakefile elsewhere."""

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REPO, TINY_CONFIG, copy_workflow, planned_jobs, snakemake

FIXTURES = Path(__file__).parent / "fixtures"

CLIENT_SNAKEFILE = """\
configfile: "config/config.yaml"


module actzoo:
    snakefile:
        "{snakefile}"
    config:
        config
{extra}

use rule * from actzoo as actzoo_*
"""


@pytest.fixture(scope="module")
def actzoo(tmp_path_factory):
    """A private copy of actzoo with its own config.yaml, the default experiment."""
    shipped = yaml.safe_load((REPO / "config.yaml").read_text())
    return copy_workflow(tmp_path_factory.mktemp("actzoo"), shipped)


def client(directory, actzoo, config, extra=""):
    """A project that uses ``actzoo`` as a module with ``config`` (not a copy of actzoo)."""
    (directory / "config").mkdir(parents=True)
    (directory / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (directory / "Snakefile").write_text(CLIENT_SNAKEFILE.format(snakefile=actzoo / "Snakefile", extra=extra))
    return directory


def without_wall_time(path):
    rows = list(csv.reader(path.read_text().splitlines()))
    column = rows[0].index("train_seconds_mean")
    return [row[:column] + row[column + 1 :] for row in rows]


def test_a_module_run_matches_a_direct_run(tiny_run, actzoo, tmp_path):
    directory = client(tmp_path / "project", actzoo, TINY_CONFIG)
    snakemake(directory)
    histories = sorted(p.relative_to(tiny_run) for p in (tiny_run / "results" / "runs").rglob("history.csv"))
    assert len(histories) == 8, "2 data sets x 2 activations x 2 seeds"
    for path in histories + [Path("results/histories.csv"), Path("results/comparisons.csv")]:
        assert (directory / path).read_bytes() == (tiny_run / path).read_bytes(), path
    # summary.csv too, as text, but for its one wall-clock column.
    assert without_wall_time(directory / "results/summary.csv") == without_wall_time(tiny_run / "results/summary.csv")
    # The same code hashes too: the module's rules find actzoo's scripts.
    for path in histories:
        metrics = [json.loads((root / path.parent / "metrics.json").read_text()) for root in (directory, tiny_run)]
        assert [m.pop("train_seconds") > 0 for m in metrics] == [True, True]
        assert metrics[0] == metrics[1], path.parent
    produced = sorted(p.relative_to(directory) for p in (directory / "results" / "runs").rglob("history.csv"))
    assert produced == histories
    assert not (actzoo / "results").exists() and not (actzoo / "logs").exists(), "written in the project only"


def test_a_partial_config_gets_actzoos_defaults_also_under_a_prefix(actzoo, tmp_path):
    """The keys the project sets go over actzoo's config.yaml, as with
    --configfile: the project's data sets replace actzoo's, its training
    settings merge key by key. With the module's `prefix:`, every output moves
    below it, while the CSV path stays relative to the project's directory."""
    partial = {
        "seeds": [1],
        "activations": ["tanh"],
        "datasets": {"table": {"generator": "csv", "path": "data.csv", "features": ["x1", "x2"], "labels": ["y"]}},
        "training": {"epochs": 2},
    }
    directory = client(tmp_path / "project", actzoo, partial, extra='    prefix:\n        "out"')
    shutil.copy(FIXTURES / "good.csv", directory / "data.csv")
    jobs = planned_jobs(directory)
    assert jobs["actzoo_train"] == 1 and jobs["actzoo_make_dataset"] == 1, "1 data set, activation and seed"

    snakemake(directory, "out/results/runs/table/tanh/seed1/metrics.json")
    metrics = json.loads((directory / "out/results/runs/table/tanh/seed1/metrics.json").read_text())
    shipped = yaml.safe_load((REPO / "config.yaml").read_text())["training"]
    training = metrics["hyperparameters"]["training"]
    assert training["epochs"] == 2, "the project's value"
    assert training["batch_size"] == shipped["batch_size"], "actzoo's config.yaml"
    assert training["checkpoint_every"] == shipped["checkpoint_every"], "actzoo's config.yaml"
    assert training["optimizer"] == "adam", "the schema's default"
    assert metrics["epochs"] == 2
    assert (directory / "out/logs/train/table/tanh/seed1.log").exists()
    assert not (directory / "results").exists() and not (directory / "logs").exists(), "everything below the prefix"
    assert not (directory / "out" / "data.csv").exists()


def test_a_bad_partial_config_is_one_line(actzoo, tmp_path):
    directory = client(tmp_path / "project", actzoo, {"training": {"epoch": 2}})
    result = snakemake(directory, "--dry-run", check=False)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("actzoo: config error:")]
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith("actzoo: config error: training.epoch: unknown key; expected one of ['engine'")
    assert "Traceback" not in result.stderr
    assert not (directory / "results").exists()
