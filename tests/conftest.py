import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))
# The workflow-copy and job-stats helpers are shared with the benchmark.
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import harness  # noqa: E402

write_config = harness.write_config


def dot_test_config(name):
    """A config of .test/config/ (a YAML file a user can run with --configfile), as a dict."""
    return yaml.safe_load((REPO / ".test" / "config" / name).read_text())


# A config small enough for an end-to-end run in seconds: two data sets (one
# 2-D, one multi-label), two activations, two seeds, a few epochs.
TINY_CONFIG = dot_test_config("config.yaml")


def copy_workflow(destination, config=None):
    """A private copy of the workflow (so tests may edit its code) with ``config``."""
    return harness.copy_workflow(destination, config or TINY_CONFIG)


def snakemake(directory, *args, timeout=900, check=True, env=None):
    """Run snakemake in ``directory``; returns the CompletedProcess."""
    command = harness.snakemake_command("--cores", "2", *args)
    result = subprocess.run(
        command,
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,  # a failure is reported below, with Snakemake's output
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def planned_jobs(directory, *args):
    """Jobs a dry run would execute, as {rule: count} (empty when nothing to do)."""
    result = snakemake(directory, "--dry-run", *args)
    output = result.stdout + result.stderr
    if "Nothing to be done" in output:
        return {}
    counts = harness.job_stats(output)
    counts.pop("total", None)
    return counts


def adjacent_test_pair(labels, test_rows):
    """Two adjacent row indices (i, i + 1), both test rows, of different
    classes: swapping their labels changes the test labels only (see
    actzoo.datasets.split_indices). ``labels`` is one label per row."""
    labels, test = np.asarray(labels).ravel(), set(np.asarray(test_rows).tolist())
    for i in sorted(test):
        if i + 1 in test and labels[i] != labels[i + 1]:
            return i, i + 1
    raise ValueError("no two adjacent test rows of different classes")


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One completed end-to-end run of the tiny config, shared by read-only tests."""
    directory = copy_workflow(tmp_path_factory.mktemp("tiny"))
    snakemake(directory)
    return directory


@pytest.fixture
def tiny_copy(tiny_run, tmp_path):
    """A private copy of the finished tiny run, for tests that change things."""
    destination = tmp_path / "run"
    shutil.copytree(tiny_run, destination, symlinks=True)
    return destination


# Small in-memory data sets for the in-process engine and diagnostics tests.
@pytest.fixture(scope="module")
def circles():
    from actzoo.datasets import make_dataset

    return make_dataset("circles", 0.3, 0, n_samples=230, factor=0.2, noise=0.1)


@pytest.fixture(scope="module")
def sensors():
    from actzoo.datasets import make_dataset

    return make_dataset("sensors", 0.3, 0, n_samples=150, n_features=20, n_labels=3, max_reading=15)


@pytest.fixture(scope="module")
def blobs():
    """Three classes in the plane: the multiclass fixture."""
    from actzoo.datasets import make_dataset

    return make_dataset("blobs", 0.3, 0, n_samples=230, n_classes=3, cluster_std=0.7)


@pytest.fixture(scope="module")
def iris():
    from actzoo.datasets import make_dataset

    return make_dataset("iris", 0.3, 0, standardize=True)


@pytest.fixture
def drawn(monkeypatch):
    """Keep the figures the plot functions save, to inspect their panels."""
    from actzoo import (
        boundary_figures,
        curve_figures,
        depth_figures,
        diagnostic_figures,
        figure_output,
        sensitivity_figures,
    )

    figures = []

    def keep(figure, paths):
        figures.append(figure)
        figure_output.save(figure, paths)

    # Each figure module holds its own name for save.
    for module in (boundary_figures, curve_figures, depth_figures, diagnostic_figures, sensitivity_figures):
        monkeypatch.setattr(module, "save", keep)
    return figures
