"""The one-run-per-directory guard, in-process (the end-to-end case is in
test_faults.py)."""

import json
import os
import socket
import subprocess
import sys

import pytest

from actzoo import activerun


def started(*argv):
    """A sleeping Python process with ``argv``, once it runs (not still the fork)."""
    code = "import sys, time; print('ready', flush=True); time.sleep(120)"
    process = subprocess.Popen([sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    return process


@pytest.fixture
def sleeper():
    """A live process whose command line names snakemake, as a real run's does."""
    process = started("snakemake")
    yield process.pid
    process.kill()
    process.wait()


def write(directory, **fields):
    path = directory / activerun.RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": socket.gethostname(), "started": "2026-01-01 10:00:00", **fields}))


def test_no_record_no_refusal(tmp_path):
    assert activerun.active_run(tmp_path) is None


def test_a_live_snakemake_run_is_refused_in_one_line(tmp_path, sleeper):
    write(tmp_path, pid=sleeper)
    message = activerun.active_run(tmp_path)
    assert message.startswith("actzoo: another snakemake run (pid")
    assert str(sleeper) in message and "2026-01-01 10:00:00" in message and "\n" not in message


def test_a_record_whose_process_is_gone_is_ignored(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", "pass", "snakemake"])
    process.wait()
    write(tmp_path, pid=process.pid)
    assert activerun.active_run(tmp_path) is None, "a killed run never blocks the next"


def test_a_reused_pid_of_another_program_is_ignored(tmp_path):
    process = started()
    try:
        write(tmp_path, pid=process.pid)
        assert activerun.active_run(tmp_path) is None
    finally:
        process.kill()
        process.wait()


def test_a_record_with_an_impossible_pid_is_ignored(tmp_path):
    for pid in (-1, 0):
        write(tmp_path, pid=pid)
        assert activerun.active_run(tmp_path) is None, pid


def test_another_hosts_record_and_garbage_are_ignored(tmp_path, sleeper):
    write(tmp_path, pid=sleeper, host="another-node")
    assert activerun.active_run(tmp_path) is None
    (tmp_path / activerun.RECORD).write_text("{not json")
    assert activerun.active_run(tmp_path) is None


def test_record_and_release_by_the_recording_process_only(tmp_path, sleeper):
    activerun.record(tmp_path)
    saved = json.loads((tmp_path / activerun.RECORD).read_text())
    assert saved["pid"] == os.getpid() and saved["host"] == socket.gethostname()
    assert activerun.active_run(tmp_path) is None, "a process is never refused by its own record"
    activerun.release(tmp_path)
    assert not (tmp_path / activerun.RECORD).exists()

    write(tmp_path, pid=sleeper)
    activerun.release(tmp_path)
    assert (tmp_path / activerun.RECORD).exists(), "another run's record stays"
