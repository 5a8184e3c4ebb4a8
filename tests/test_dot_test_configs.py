""".test/config/: the tests' configs as YAML files, which the tests load (conftest.py's
dot_test_config) and which a user runs from the repository root with
``snakemake --cores 2 --configfile .test/config/<name>.yaml``. Each plans the runs it names."""

import shutil

import pytest
import yaml

from conftest import REPO, copy_workflow, dot_test_config, planned_jobs

CONFIGS = sorted(path.name for path in (REPO / ".test" / "config").glob("*.yaml"))


def test_every_test_config_is_found():
    assert {"config.yaml", "multiclass.yaml", "tuned.yaml"} <= set(CONFIGS), CONFIGS


@pytest.mark.parametrize("name", CONFIGS)
def test_a_dry_run_with_a_test_config_over_config_yaml_plans_its_runs(name, tmp_path):
    # A copy of the repository as a user has it: config.yaml and .test/ beside the workflow.
    directory = copy_workflow(tmp_path, yaml.safe_load((REPO / "config.yaml").read_text()))
    shutil.copytree(REPO / ".test", directory / ".test")
    config = dot_test_config(name)
    jobs = planned_jobs(directory, "--configfile", f".test/config/{name}")
    runs = len(config["seeds"]) * len(config["activations"]) * len(config["datasets"])
    assert jobs["train"] == runs, jobs
    if "tuning" in config:
        tuning = config["tuning"]
        grid = len(tuning["grid"]["learning_rate"])
        assert jobs["tune"] == len(config["activations"]) * len(config["datasets"]) * len(tuning["seeds"]) * grid, jobs
