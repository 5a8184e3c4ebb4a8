"""Faults for real: a SIGKILLed training resumes from its checkpoint, a
diverging run does not stop the pipeline, saved models load in safe mode, and
a second snakemake in the same directory is refused while the first runs."""

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from actzoo import processes
from conftest import REPO, copy_workflow

FIXTURES = Path(__file__).parent / "fixtures"

# One run whose training takes several seconds (~6 s on one core), checkpointed
# every 20 of its 400 epochs.
SLOW_CONFIG = {
    "seeds": [1],
    "activations": ["relu"],
    "datasets": {"circles": {"generator": "circles", "n_samples": 2000}},
    "model": {"hidden_units": [4]},
    "training": {"epochs": 400, "batch_size": 16, "checkpoint_every": 20, "snapshot_epochs": [1, 5, 20]},
    "figures": {"grid_resolution": 20},
}
RUN = Path("results/runs/circles/relu/seed1")
TRAIN_TARGETS = [str(RUN / name) for name in ("history.csv", "metrics.json", "model.keras", "boundary.npz")]


def start(directory, *args):
    """``snakemake --cores 1`` in the background, in its own process group."""
    log = open(Path(directory) / f"snakemake-{time.monotonic_ns()}.out", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", *args],
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    process.log = log
    return process


def output_of(process):
    process.log.seek(0)
    return process.log.read()


def run(directory, *args, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def finish(process, timeout=900):
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    return process.returncode


def wait_for(condition, process, timeout=600, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"snakemake ended before {what}:\n{output_of(process)[-3000:]}")
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def living_members(group):
    """PIDs of the processes in process group ``group`` that are not zombies."""
    members = []
    for process in psutil.process_iter():
        try:
            in_group = os.getpgid(process.pid) == group
        except ProcessLookupError:
            continue  # the process ended while we looked
        if in_group and processes.is_alive(process.pid):
            members.append(process.pid)
    return members


def wait_until_gone(pid, member=True, timeout=60):
    """True once no process of group ``pid`` (``member``) or process ``pid``
    lives (SIGKILLed processes die at their next scheduling, not at once);
    False if one outlives ``timeout``."""
    deadline = time.monotonic() + timeout
    while living_members(pid) if member else processes.is_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def executed_rules(output):
    """Rules snakemake ran, from its "rule NAME:" / "localrule NAME:" lines."""
    return re.findall(r"^(?:local)?rule (\w+):$", output, flags=re.MULTILINE)


# -- checkpoint and resume ------------------------------------------------------


def checkpoint_epochs(state):
    """Epochs held by a checkpoint file (0 while there is none)."""
    try:
        with np.load(state) as checkpoint:
            return len(checkpoint["rows"])
    except (OSError, KeyError, ValueError):
        return 0


@pytest.mark.slow
def test_sigkilled_training_resumes_and_matches_an_uninterrupted_run(tmp_path):
    killed = copy_workflow(tmp_path / "killed", SLOW_CONFIG)
    reference = copy_workflow(tmp_path / "reference", SLOW_CONFIG)
    uninterrupted = start(reference, *TRAIN_TARGETS)
    first = start(killed, *TRAIN_TARGETS)

    # Kill once the checkpoint is past every snapshot epoch: the resumed run
    # must then take weights, optimizer, history and snapshots from it.
    state = killed / RUN / ".ckpt" / "state.npz"
    wait_for(lambda: checkpoint_epochs(state) >= 20, first, what="a checkpoint after epoch 20")
    os.killpg(first.pid, signal.SIGKILL)  # snakemake and its job
    first.wait()
    assert wait_until_gone(first.pid), "the kill reached snakemake's job"
    # The training itself runs in a warm worker's child, which dies with the job.
    trainer = re.search(r"warm worker process (\d+)", (killed / "logs/train/circles/relu/seed1.log").read_text())
    assert trainer, "the training ran in a warm worker"
    assert wait_until_gone(int(trainer.group(1)), member=False), "the kill reached the training too"
    assert not (killed / RUN / "metrics.json").exists(), "killed before the end of training"
    saved_epochs = checkpoint_epochs(state)
    assert 20 <= saved_epochs < 400 and saved_epochs % 20 == 0
    data = killed / "results" / "datasets" / "circles.npz"
    data_mtime = data.stat().st_mtime_ns

    # SIGKILL leaves Snakemake's lock behind: --unlock, then --rerun-incomplete.
    assert "Directory cannot be locked" in run(killed, *TRAIN_TARGETS, "--rerun-incomplete").stderr
    assert run(killed, "--unlock").returncode == 0
    resumed = run(killed, *TRAIN_TARGETS, "--rerun-incomplete")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert executed_rules(resumed.stderr + resumed.stdout) == ["train"], "only the killed job reruns"
    assert data.stat().st_mtime_ns == data_mtime, "the finished dataset job is not recomputed"

    assert finish(uninterrupted) == 0, output_of(uninterrupted)[-3000:]
    metrics = json.loads((killed / RUN / "metrics.json").read_text())
    expected = json.loads((reference / RUN / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] >= saved_epochs > 0
    assert expected["resumed_from_epoch"] == 0
    assert metrics["epochs"] == expected["epochs"] == 400
    for table in ("history.csv", "diagnostics.csv"):
        assert (killed / RUN / table).read_bytes() == (reference / RUN / table).read_bytes(), table
    assert metrics["final_weights_sha256"] == expected["final_weights_sha256"]
    with np.load(killed / RUN / "boundary.npz") as a, np.load(reference / RUN / "boundary.npz") as b:
        assert a["epochs"].tolist() == b["epochs"].tolist() == [1, 5, 20, 400]
        assert np.array_equal(a["probabilities"], b["probabilities"]), "snapshots survive the kill"
    assert "resumed from checkpoint after epoch" in (killed / "logs/train/circles/relu/seed1.log").read_text()
    assert not (killed / RUN / ".ckpt").exists(), "the checkpoint is removed after success"
    assert not (reference / RUN / ".ckpt").exists()


def test_a_checkpoint_from_other_settings_is_ignored(tmp_path, monkeypatch):
    """A killed run's checkpoint must not leak into a rerun with a changed config."""
    from actzoo import checkpoints, engine
    from actzoo.activations import check_all
    from actzoo.datasets import make_dataset
    from actzoo.spec import TrainSpec

    data = make_dataset("circles", 0.3, 0, n_samples=200, factor=0.2, noise=0.1)
    spec = TrainSpec(
        activation=check_all(["tanh"])["tanh"], seed=1, hidden_units=[4], epochs=6, batch_size=16,
        optimizer="adam", learning_rate=0.01,
    )  # fmt: skip
    fresh = engine.train(data, spec)
    changed = engine.train(data, dataclasses.replace(spec, learning_rate=0.05))

    def leave_checkpoint(**changes):
        """Run to the end but keep the last checkpoint (epoch 4), like a kill after it."""
        ckpt = tmp_path / "ckpt"
        with monkeypatch.context() as patch:
            patch.setattr(checkpoints.Checkpoint, "remove", lambda self: None)
            engine.train(data, dataclasses.replace(spec, **changes), checkpoint_dir=ckpt, checkpoint_every=2)
        return ckpt

    logs = []
    resumed = engine.train(data, spec, checkpoint_dir=leave_checkpoint(), checkpoint_every=2, log=logs.append)
    assert resumed["resumed_from_epoch"] == 4
    assert resumed["final_weights_sha256"] == fresh["final_weights_sha256"]

    ckpt = leave_checkpoint(learning_rate=0.05)
    rerun = engine.train(data, spec, checkpoint_dir=ckpt, checkpoint_every=2, log=logs.append)
    assert rerun["resumed_from_epoch"] == 0, "the checkpoint of the old learning rate is ignored"
    assert rerun["final_weights_sha256"] == fresh["final_weights_sha256"] != changed["final_weights_sha256"]
    assert any("ignoring" in line and "other settings (learning_rate)" in line for line in logs), logs
    assert not (tmp_path / "ckpt").exists()


# -- divergence -----------------------------------------------------------------


@pytest.mark.slow
def test_diverging_runs_complete_the_pipeline(tmp_path):
    config = {
        "seeds": [1, 2],
        # With sgd at learning rate 100, linear diverges within 2 epochs; tanh does not.
        "activations": ["linear", "tanh"],
        "datasets": {"circles": {"generator": "circles", "n_samples": 200}},
        "model": {"hidden_units": [4]},
        "training": {"epochs": 6, "batch_size": 16, "optimizer": "sgd", "learning_rate": 100.0},
        "figures": {"grid_resolution": 20},
    }
    directory = copy_workflow(tmp_path / "run", config)
    result = run(directory)
    assert result.returncode == 0, result.stderr[-5000:]
    results = directory / "results"

    histories = pd.read_csv(results / "histories.csv")
    for seed in (1, 2):
        linear = json.loads((results / f"runs/circles/linear/seed{seed}/metrics.json").read_text())
        tanh = json.loads((results / f"runs/circles/tanh/seed{seed}/metrics.json").read_text())
        assert linear["diverged"] and linear["diverged_epoch"] == linear["epochs"] < 6, "stopped early"
        assert (tanh["diverged"], tanh["diverged_epoch"], tanh["epochs"]) == (False, None, 6)
        rows = histories[(histories["activation"] == "linear") & (histories["seed"] == seed)]
        assert rows["epoch"].tolist() == list(range(1, linear["epochs"] + 1)), "the table keeps every row"
        assert not np.isfinite(rows["loss"].iloc[-1]), "including the one with the non-finite loss"
        assert np.isfinite(rows["loss"].iloc[:-1]).all()
    assert len(histories[histories["activation"] == "tanh"]) == 2 * 6

    summary = pd.read_csv(results / "summary.csv").set_index("activation")
    assert summary.loc["linear", "n_diverged"] == 2
    assert summary.loc["tanh", "n_diverged"] == 0
    assert summary.loc["linear", "n_seeds"] == 2

    figures = results / "figures"
    for name in ("curves_circles", "boundaries_circles", "activations"):
        for ext in ("png", "svg"):
            assert (figures / f"{name}.{ext}").stat().st_size > 1000
    assert "diverged" in (figures / "curves_circles.svg").read_text(), "the curves mark the diverged run"
    assert "diverged" in (figures / "boundaries_circles.svg").read_text(), "so do the boundaries"
    assert "diverged" in (figures / "diagnostics_circles.svg").read_text(), "and the diagnostics"
    diagnostics = pd.read_csv(results / "diagnostics.csv")
    for seed in (1, 2):
        linear = json.loads((results / f"runs/circles/linear/seed{seed}/metrics.json").read_text())
        rows = diagnostics[(diagnostics["activation"] == "linear") & (diagnostics["seed"] == seed)]
        assert rows["epoch"].tolist() == list(range(linear["epochs"] + 1)), "epoch 0 to the diverged epoch"


# -- safe loading -----------------------------------------------------------------


def python_sources():
    """The workflow's code: the Snakefile, rule files and scripts."""
    yield REPO / "Snakefile"
    yield from sorted(p for p in (REPO / "workflow").rglob("*") if p.suffix in (".py", ".smk"))


def test_only_trusted_places_import_modules_by_name():
    """Config values reach code only through the explicit ``module:function``
    (exec, eval, unsafe YAML and pickle are ruff's S rules, tests/test_style.py)."""
    importing = {path.name for path in python_sources() if "import_module(" in path.read_text()}
    # activations.py: the trusted module:function; worker.py and
    # workercommon.py: actzoo's own modules only (tests/test_worker.py).
    assert importing and importing <= {"activations.py", "worker.py", "workercommon.py"}, importing


def test_saved_model_with_custom_activation_loads_in_safe_mode(tmp_path, monkeypatch):
    import keras

    from actzoo.activations import check_all
    from actzoo.models import get_model

    monkeypatch.syspath_prepend(str(FIXTURES))
    spec = check_all([{"name": "custom_acts:scaled_tanh", "scale": 2.0}])["scaled_tanh"]
    model = get_model(spec, n_features=2, hidden_units=[4], n_outputs=1)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = np.linspace(-3, 3, 20, dtype="float32").reshape(10, 2)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x)))

    # The control: safe mode does refuse code, e.g. a Lambda layer's bytecode.
    unsafe = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda t: t * 2)])
    unsafe.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="(?i)unsafe|safe_mode"):
        keras.saving.load_model(tmp_path / "lambda.keras", safe_mode=True)


def test_yaml_python_tags_in_the_config_run_nothing(tmp_path):
    directory = copy_workflow(tmp_path / "run")
    config = (directory / "config.yaml").read_text()
    (directory / "config.yaml").write_text(
        config.replace("seeds:\n- 1\n- 2", 'seeds: !!python/object/apply:os.system ["touch pwned"]')
    )
    result = run(directory, "--dry-run")
    assert result.returncode != 0
    assert not (directory / "pwned").exists()


def test_yte_templates_in_the_config_run_nothing(tmp_path):
    directory = copy_workflow(tmp_path / "run")
    config = (directory / "config.yaml").read_text()
    (directory / "config.yaml").write_text(
        "__use_yte__: true\n" + config + "?if __import__('pathlib').Path('pwned').touch() is None:\n  statistics: {}\n"
    )
    result = run(directory, "--dry-run")
    assert result.returncode != 0, "the template's keys are unknown config keys"
    assert "actzoo: config error:" in result.stderr and "unknown key" in result.stderr, result.stderr[-3000:]
    assert not (directory / "pwned").exists()

    # The control: the same file, handed to Snakemake's own loader as a file
    # the user trusts (--configfile), is a template that does run.
    run(directory, "--dry-run", "--configfile", "config.yaml")
    assert (directory / "pwned").exists(), "the template is valid YTE: what stopped it above is actzoo's loader"


# -- concurrency -------------------------------------------------------------------


@pytest.mark.slow
def test_second_snakemake_in_the_same_directory_is_refused(tmp_path):
    """The second run is refused with actzoo's one-line message, and the first
    finishes intact. Deterministic: the first run is frozen (SIGSTOP) from the
    moment its jobs start until the second has been refused."""
    from actzoo.activerun import RECORD

    directory = copy_workflow(tmp_path / "run", SLOW_CONFIG)
    first = start(directory)
    wait_for(lambda: (directory / RECORD).exists(), first, what="the first run to start its jobs")
    os.killpg(first.pid, signal.SIGSTOP)
    try:
        second = run(directory)
        dry_run = run(directory, "--dry-run")
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    for refused in (second, dry_run):
        assert refused.returncode != 0
        lines = [line for line in refused.stderr.splitlines() if line.startswith("actzoo:")]
        assert lines == [
            f"actzoo: another snakemake run (pid {first.pid}, started {json.loads((directory / RECORD).read_text())['started']}) "
            "is active in this directory; wait for it to finish (or stop it), then run again"
        ], refused.stderr[-3000:]
        assert "Traceback" not in refused.stderr and "Incomplete" not in refused.stderr

    assert finish(first) == 0, output_of(first)[-3000:]
    metrics = json.loads((directory / RUN / "metrics.json").read_text())
    assert (metrics["epochs"], metrics["diverged"], metrics["resumed_from_epoch"]) == (400, False, 0)
    assert len(pd.read_csv(directory / RUN / "history.csv")) == 400
    assert len(pd.read_csv(directory / "results" / "histories.csv")) == 400
    for name in ("summary.csv", "figures/curves_circles.png", "figures/boundaries_circles.png"):
        assert (directory / "results" / name).stat().st_size > 0
    assert not (directory / RECORD).exists(), "the first run removes its record"
    assert "Nothing to be done" in run(directory, "--dry-run").stdout, "the results are complete and current"
