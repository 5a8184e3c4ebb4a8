"""Warm workers (actzoo.worker): a job's function runs in a fresh child of a
worker that imported TensorFlow once. These tests drive real workers from
real job processes; a private copy of the package lets them edit its code.
The end-to-end guarantees (identical results, kill and resume, no orphans
after snakemake) are in test_reproducibility.py and test_faults.py."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from actzoo import processes, worker, workerclient, workercommon
from conftest import REPO

# A function the copied package gains, reporting where and how it ran.
PROBE = '''

def probe(path, seconds=0, spin=False, wait_for=None, leak=False, fail=None):
    """Test probe (tests/test_worker.py)."""
    import json, os, signal, tempfile, time
    from pathlib import Path

    def on_termination(signum, frame):
        Path(path + ".terminated").write_text(str(signum))
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, on_termination)
    Path(path + ".started").write_text(str(os.getpid()))
    if leak:  # as autograph does: a generated module it means to remove at exit
        tempfile.NamedTemporaryFile(prefix="__autograph_generated_file", suffix=".py", delete=False).close()
    if fail:
        raise ValueError(fail)
    while spin and not Path(path + ".release").exists():
        pass
    while wait_for and not Path(wait_for).exists():
        time.sleep(0.05)
    time.sleep(seconds)
    Path(path).write_text(json.dumps({
        "version": VERSION, "pid": os.getpid(), "worker": os.getppid(), "cwd": os.getcwd(),
        "variable": os.environ.get("ACTZOO_TEST_VARIABLE"), "tmpdir": tempfile.gettempdir(),
    }))
    print("probe wrote", path, flush=True)
    return {"answer": 42}
'''

JOB = """
import json, sys
sys.path.insert(0, sys.argv[1])
from actzoo.workerclient import call
result = call(sys.argv[2], json.loads(sys.argv[3]), owner=int(sys.argv[4]))
print("result", json.dumps(result), flush=True)
"""


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A private copy of workflow/scripts with a probe; workers in a private directory."""
    scripts = tmp_path / "scripts"
    shutil.copytree(REPO / "workflow" / "scripts", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    set_version(scripts, "one")
    monkeypatch.setenv("ACTZOO_WORKER_DIR", str(tmp_path / "sockets"))
    monkeypatch.setenv("ACTZOO_WORKER_IDLE", "60")
    yield scripts
    for pid in workers_of(scripts):
        os.kill(pid, signal.SIGKILL)


def set_version(scripts, version):
    logs = scripts / "actzoo" / "logs.py"
    text = (REPO / "workflow" / "scripts" / "actzoo" / "logs.py").read_text()
    logs.write_text(text + f"\nVERSION = {version!r}\n" + PROBE)


def workers_of(scripts):
    """PIDs of the live worker processes serving code from ``scripts``."""
    found = []
    for process in psutil.process_iter():
        argv = processes.command_line(process.pid)
        if len(argv) > 3 and argv[2] == worker.SERVE and str(scripts) in argv[4] and processes.is_alive(process.pid):
            found.append(process.pid)
    return found


def job(scripts, directory, path, owner=None, env=None, wait=True, **probe):
    """A job process calling the probe through actzoo.workerclient.call."""
    directory.mkdir(exist_ok=True)
    arguments = json.dumps({"path": str(path), **probe})
    process = subprocess.Popen(
        [sys.executable, "-c", JOB, str(scripts), "actzoo.logs:probe", arguments, str(owner or os.getpid())],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if not wait:
        return process
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(Path(path).read_text()), stdout, stderr


def wait_until(condition, timeout=60):
    """Poll ``condition`` until it holds; False if it never does in ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def status(pid):
    """psutil's state of process ``pid`` (running, stopped, zombie, ...); None if gone."""
    try:
        return psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return None


def pid_gone(pid):
    return not processes.is_alive(pid)


def cpu_seconds(pid):
    """User and system CPU time of process ``pid``, in the kernel's 10 ms ticks."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def killed_workers_stem(package, tmp_path):
    """Start a worker, SIGKILL it and remove its socket: the name a job of
    this run will look for next."""
    first, _, _ = job(package, tmp_path / "first", tmp_path / "first.json")
    (sock,) = (tmp_path / "sockets").glob("*.sock")
    os.kill(first["worker"], signal.SIGKILL)
    assert wait_until(lambda: pid_gone(first["worker"]))
    sock.unlink()
    return sock.stem


NOBODY = 65534
needs_root = pytest.mark.skipif(os.getuid() != 0, reason="switches to another uid")


# -- identity and privacy, in-process ----------------------------------------------------


def test_the_key_covers_code_interpreter_environment_slurm_job_and_run(tmp_path, monkeypatch):
    for name in [
        n for n in os.environ if n.startswith(workercommon.IMPORT_ENV_PREFIXES) or n in workercommon.IMPORT_ENV_NAMES
    ]:
        monkeypatch.delenv(name)
    base = workercommon.key_of(workercommon.identity(owner=100))
    assert workercommon.key_of(workercommon.identity(owner=100)) == base
    assert workercommon.key_of(workercommon.identity(owner=101)) != base, "one worker per snakemake run"
    for name, value in [("TF_ENABLE_ONEDNN_OPTS", "0"), ("KERAS_BACKEND", "jax"), ("CUDA_VISIBLE_DEVICES", "")]:
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            assert workercommon.key_of(workercommon.identity(owner=100)) != base, name
    with monkeypatch.context() as patch:
        patch.setenv("SLURM_JOB_ID", "1234")
        assert workercommon.key_of(workercommon.identity(owner=100)) != base, "never shared across SLURM jobs"
    with monkeypatch.context() as patch:
        patch.setattr(sys, "executable", "/another/python")
        assert workercommon.key_of(workercommon.identity(owner=100)) != base
    with monkeypatch.context() as patch:
        patch.setattr(workercommon, "distributions", lambda: "another set of distributions")
        assert workercommon.key_of(workercommon.identity(owner=100)) != base
    with monkeypatch.context() as patch:
        patch.setenv("UNRELATED_SETTING", "x")
        assert workercommon.key_of(workercommon.identity(owner=100)) == base, "other variables do not matter at import"

    copy = tmp_path / "actzoo"
    shutil.copytree(Path(workercommon.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = workercommon.package_hash(copy)
    with open(copy / "engine.py", "a") as handle:
        handle.write("\n# an edit\n")
    assert workercommon.package_hash(copy) != before


def test_the_key_covers_every_installed_distribution(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    (site / "h5py-3.12.1.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    before = workercommon.key_of(workercommon.identity(owner=100))
    (site / "h5py-3.12.1.dist-info").rename(site / "h5py-3.13.0.dist-info")
    assert workercommon.key_of(workercommon.identity(owner=100)) != before


def test_the_socket_directory_must_be_private(tmp_path, monkeypatch):
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("ACTZOO_WORKER_DIR", str(fresh))
    directory = workercommon.socket_directory()
    assert os.path.samestat(os.fstat(directory), fresh.stat())
    os.close(directory)
    assert fresh.stat().st_mode & 0o777 == 0o700
    fresh.chmod(0o755)
    with pytest.raises(workercommon.WorkerUnavailable, match="not private"):
        workercommon.socket_directory()


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["/usr/bin/python3", "/usr/local/bin/snakemake", "--cores", "4"], True),
        (["python", "-m", "snakemake", "--cores", "2"], True),
        (["snakemake", "--profile", "profiles/slurm"], True),
        (["python", ".snakemake/scripts/tmpab12.train.py"], False),
        (["/bin/sh", "-c", "python .snakemake/scripts/tmpab12.train.py"], False),
    ],
)
def test_the_owner_is_the_snakemake_run_not_a_job_or_shell(argv, expected):
    assert processes.is_snakemake_command(argv) is expected


def test_the_worker_runs_no_tensorflow_op_before_it_forks():
    """What makes forking safe: after the imports and warm-ups a worker does,
    TensorFlow's runtime (its eager context and thread pools) does not exist."""
    code = (
        "import importlib\n"
        "from actzoo import worker\n"
        "for name in worker.WARM_MODULES:\n"
        "    module = importlib.import_module(name)\n"
        "    getattr(module, 'warm_up', lambda: None)()\n"
        "from tensorflow.python.eager import context\n"
        "print(context.context()._context_handle is None)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow" / "scripts")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert result.stdout.strip() == "True", result.stderr[-3000:]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["python", "-m", "snakemake", "--cores", "2"], False),
        (
            [
                "python",
                "-m",
                "snakemake",
                "--target-jobs",
                "train:dataset=circles,activation=relu,seed=4",
                "--allowed-rules",
                "train",
            ],
            True,
        ),
        (["python", "-m", "snakemake", "--target-jobs", "train:seed=1", "train:seed=2", "--mode", "remote"], False),
        (["python", "-m", "snakemake", "--target-jobs", "train:seed=1"], True),
        (["python", "-m", "snakemake", "--target-jobs=train:seed=1", "--cores", "1"], True),
        (["python", "-m", "snakemake", "--target-job", "train:seed=1", "train:seed=2"], False),
        (["python", "-m", "snakemake", "--target-job", "train:seed=1"], True),
        (["python", "-m", "snakemake", "--target-files-omit-workdir-adjustment", "--cores", "1"], False),
    ],
)
def test_a_snakemake_that_runs_one_job_gets_no_worker(argv, expected):
    """Inside a SLURM pack each training is its own srun step with its own
    snakemake: a worker there would serve that one job."""
    assert processes.runs_one_job(argv) is expected


def test_a_job_of_a_one_job_snakemake_runs_in_its_own_process(package, tmp_path):
    owner = subprocess.Popen(
        [sys.executable, "-c", "import time; print(flush=True); time.sleep(600)", "--target-jobs", "train:seed=1"],
        stdout=subprocess.PIPE,
    )
    owner.stdout.readline()  # it runs (its command line is no longer the fork's)
    try:
        result, _, stderr = job(package, tmp_path / "a", tmp_path / "a.json", owner=owner.pid)
    finally:
        owner.kill()
        owner.wait()
    assert f"snakemake {owner.pid} runs only this job: running actzoo.logs:probe in the job's own process" in stderr
    assert not workers_of(package) and result["version"] == "one"


# -- real workers ------------------------------------------------------------------------


def test_jobs_share_a_worker_but_each_runs_in_a_fresh_child_of_its_own(package, tmp_path):
    first, _, stderr = job(package, tmp_path / "a", tmp_path / "a.json", env={"ACTZOO_TEST_VARIABLE": "a"})
    second, stdout, _ = job(package, tmp_path / "b", tmp_path / "b.json", env={"ACTZOO_TEST_VARIABLE": "b"})
    assert f"warm worker process {first['pid']} (forked by worker {first['worker']})" in stderr
    assert first["worker"] == second["worker"] and workers_of(package) == [first["worker"]], "one import for both"
    assert first["pid"] != second["pid"], "a fresh process per job"
    assert (first["cwd"], second["cwd"]) == (str(tmp_path / "a"), str(tmp_path / "b"))
    assert (first["variable"], second["variable"]) == ("a", "b"), "the job's environment"
    assert "probe wrote" in stdout and 'result {"answer": 42}' in stdout, "the job's stdout and return value"
    socket_directory = tmp_path / "sockets"
    assert socket_directory.stat().st_mode & 0o777 == 0o700
    sockets = list(socket_directory.glob("*.sock"))
    assert len(sockets) == 1 and sockets[0].stat().st_mode & 0o777 == 0o600


def test_edited_code_or_import_settings_never_run_in_an_old_worker(package, tmp_path):
    old, _, _ = job(package, tmp_path / "a", tmp_path / "a.json")
    set_version(package, "two")
    new, _, _ = job(package, tmp_path / "b", tmp_path / "b.json")
    assert (old["version"], new["version"]) == ("one", "two")
    assert new["worker"] != old["worker"], "the edit started another worker"
    other_settings, _, _ = job(package, tmp_path / "c", tmp_path / "c.json", env={"TF_ENABLE_ONEDNN_OPTS": "0"})
    assert other_settings["worker"] not in (old["worker"], new["worker"])


def test_a_worker_refuses_a_job_with_another_key(package, tmp_path):
    job(package, tmp_path / "a", tmp_path / "a.json")
    (sock,) = (tmp_path / "sockets").glob("*.sock")
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(str(sock))
    request = {"key": "0" * 64, "function": "actzoo.logs:probe", "kwargs": {"path": str(tmp_path / "x")}}
    with pytest.raises(workercommon.WorkerUnavailable, match="other code or settings"):
        workerclient.exchange(connection, {**request, "cwd": "/", "environment": {}, "path": []}, print)
    connection.close()
    assert not (tmp_path / "x.started").exists()


# Binds as root in the root-only socket directory, then becomes another user
# before listening: what SO_PEERCRED reports. Prints what it was sent.
FAKE_SERVER = """
import os, socket, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1])
os.setgid(int(sys.argv[2]))
os.setuid(int(sys.argv[2]))
server.listen()
print("listening", flush=True)
connection, _ = server.accept()
data, fds, _, _ = socket.recv_fds(connection, 65536, 8)
print(len(data), len(fds), flush=True)
"""


@needs_root
def test_a_socket_served_by_another_user_is_refused_and_sent_nothing(package, tmp_path):
    stem = killed_workers_stem(package, tmp_path)
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE_SERVER, str(tmp_path / "sockets" / f"{stem}.sock"), str(NOBODY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout.readline() == "listening\n"
        result, _, stderr = job(package, tmp_path / "a", tmp_path / "a.json", env={"ACTZOO_TEST_VARIABLE": "secret"})
    finally:
        fake.kill()
    received = fake.communicate()[0]
    assert received == "0 0\n", f"the other user's server got (bytes, fds): {received}"
    assert f"the socket {stem}.sock is served by uid {NOBODY}, not this user; nothing was sent" in stderr
    assert "running actzoo.logs:probe in the job's own process" in stderr and result["variable"] == "secret"


@needs_root
def test_a_socket_directory_planted_as_a_symlink_is_refused(package, tmp_path, monkeypatch):
    """Another user links actzoo-<uid> in a shared sticky directory to a
    directory of ours: the job must not follow it."""
    shared, ours = tmp_path / "shared", tmp_path / "ours"
    shared.mkdir(mode=0o1777)
    shared.chmod(0o1777)
    ours.mkdir(mode=0o700)
    plant = "import os, sys; os.chdir(sys.argv[1]); os.setgid(%d); os.setuid(%d); os.symlink(sys.argv[2], sys.argv[3])"
    link = f"actzoo-{os.getuid()}"
    subprocess.run([sys.executable, "-c", plant % (NOBODY, NOBODY), shared, ours, link], check=True)
    assert (shared / link).lstat().st_uid == NOBODY
    monkeypatch.delenv("ACTZOO_WORKER_DIR")
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    result, _, stderr = job(package, tmp_path / "a", tmp_path / "a.json", env={"TMPDIR": str(shared)})
    assert f"the socket directory {shared / link} is a symbolic link" in stderr
    assert result["version"] == "one" and not workers_of(package) and not list(ours.iterdir())


def test_each_job_has_its_own_temporary_directory_removed_when_it_ends(package, tmp_path):
    firsts, seconds = tmp_path / "tmp1", tmp_path / "tmp2"
    firsts.mkdir()
    seconds.mkdir()
    first, _, _ = job(package, tmp_path / "a", tmp_path / "a.json", env={"TMPDIR": str(firsts)}, leak=True)
    second, _, _ = job(package, tmp_path / "b", tmp_path / "b.json", env={"TMPDIR": str(seconds)}, leak=True)
    assert first["worker"] == second["worker"]
    assert Path(first["tmpdir"]).parent == firsts and Path(second["tmpdir"]).parent == seconds, "the job's TMPDIR"
    assert not list(firsts.iterdir()) and not list(seconds.iterdir()), "nothing left in it"


def test_killing_the_job_kills_its_child_at_once(package, tmp_path):
    path = tmp_path / "slow.json"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    process = job(package, tmp_path / "a", path, seconds=600, leak=True, env={"TMPDIR": str(temporary)}, wait=False)
    started = Path(str(path) + ".started")
    assert wait_until(started.exists, timeout=120), process.communicate()[1][-3000:]
    child = int(started.read_text())
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert wait_until(lambda: pid_gone(child), timeout=30), "the job's child outlived the job"
    assert not path.exists()
    assert workers_of(package), "the worker itself stays for the next job"
    assert not list(temporary.iterdir()), "the child removed the job's temporary directory"


def test_a_killed_child_fails_its_job_saying_how_and_leaves_no_temporary_file(package, tmp_path):
    path, temporary = tmp_path / "slow.json", tmp_path / "tmp"
    temporary.mkdir()
    process = job(package, tmp_path / "a", path, seconds=600, leak=True, env={"TMPDIR": str(temporary)}, wait=False)
    started = Path(str(path) + ".started")
    assert wait_until(started.exists, timeout=120), process.communicate()[1][-3000:]
    child = int(started.read_text())
    os.kill(child, signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert f"JobFailed: the job's worker process {child} was killed by SIGKILL" in stderr, stderr[-3000:]
    assert not list(temporary.iterdir())


def test_ctrl_z_stops_the_jobs_child_and_fg_resumes_it(package, tmp_path):
    """The child is in the worker's session, not in the job's process group:
    the job passes job control on. A stopped job's training uses no CPU."""
    path = tmp_path / "spin.json"
    process = job(package, tmp_path / "a", path, spin=True, wait=False)
    started = Path(str(path) + ".started")
    try:
        assert wait_until(started.exists, timeout=120), process.communicate()[1][-3000:]
        child = int(started.read_text())
        assert status(child) == psutil.STATUS_RUNNING, "it spins"
        process.send_signal(signal.SIGTSTP)
        assert wait_until(lambda: status(process.pid) == psutil.STATUS_STOPPED), "the job stops"
        assert wait_until(lambda: status(child) == psutil.STATUS_STOPPED, timeout=30), "and so does its child"
        spent = cpu_seconds(child)
        for _ in range(50):  # however often we look
            assert status(child) == psutil.STATUS_STOPPED and cpu_seconds(child) == spent
        process.send_signal(signal.SIGCONT)
        assert wait_until(lambda: cpu_seconds(child) > spent, timeout=30), "SIGCONT resumes the child"
    finally:
        Path(str(path) + ".release").touch()
        process.send_signal(signal.SIGCONT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr[-3000:]


def test_sigterm_to_the_job_reaches_its_child(package, tmp_path):
    path = tmp_path / "slow.json"
    process = job(package, tmp_path / "a", path, seconds=600, wait=False)
    started = Path(str(path) + ".started")
    assert wait_until(started.exists, timeout=120), process.communicate()[1][-3000:]
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert Path(str(path) + ".terminated").exists(), "the child got SIGTERM (not just the SIGKILL of a lost job)"
    assert process.returncode == -signal.SIGTERM and "actzoo: the job got SIGTERM" in stderr


def test_a_forty_first_concurrent_job_runs_at_once(package, tmp_path):
    """No cap on a worker's children: socketserver's default of 40 made the
    worker wait, at its next idle moment, for one of its 40 jobs to end."""
    release = tmp_path / "release"
    started = [Path(f"{tmp_path}/{i}.json.started") for i in range(41)]
    processes = []
    try:
        for i in range(41):
            processes.append(
                job(package, tmp_path / f"d{i}", tmp_path / f"{i}.json", wait_for=str(release), wait=False)
            )
            if i == 39:  # the 41st comes later, to a worker with 40 running jobs
                assert wait_until(lambda: all(path.exists() for path in started[:40]), timeout=180)
        assert wait_until(started[40].exists, timeout=60), "the 41st job waits for one of the others to end"
    finally:
        release.touch()
        for process in processes:
            process.communicate(timeout=120)
    assert all(process.returncode == 0 for process in processes)


def test_the_worker_exits_when_its_run_ends(package, tmp_path):
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        result, _, _ = job(package, tmp_path / "a", tmp_path / "a.json", owner=owner.pid)
        assert workers_of(package) == [result["worker"]]
    finally:
        owner.kill()
        owner.wait()
    assert wait_until(lambda: not workers_of(package), timeout=30), "no worker outlives its snakemake run"
    assert not list((tmp_path / "sockets").iterdir()), "and it removes its socket, lock and log"


def test_the_worker_exits_when_idle(package, tmp_path, monkeypatch):
    monkeypatch.setenv("ACTZOO_WORKER_IDLE", "1")
    result, _, _ = job(package, tmp_path / "a", tmp_path / "a.json")
    assert wait_until(lambda: pid_gone(result["worker"]), timeout=30)


def test_without_a_usable_worker_the_job_runs_in_its_own_process(package, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    result, _, stderr = job(
        package, tmp_path / "a", tmp_path / "a.json", env={"ACTZOO_WORKER_DIR": str(not_a_directory / "sockets")}
    )
    assert "no warm worker (cannot make the socket directory" in stderr
    assert "running actzoo.logs:probe in the job's own process" in stderr
    assert result["version"] == "one" and not workers_of(package)

    switched_off, _, stderr = job(package, tmp_path / "b", tmp_path / "b.json", env={workerclient.SWITCH: "0"})
    assert f"{workerclient.SWITCH}=0" in stderr and not workers_of(package)
    assert switched_off["cwd"] == str(tmp_path / "b")


def test_an_unusable_lock_file_falls_back(package, tmp_path):
    stem = killed_workers_stem(package, tmp_path)
    (tmp_path / "sockets" / f"{stem}.lock").unlink()
    (tmp_path / "sockets" / f"{stem}.lock").mkdir()
    result, _, stderr = job(package, tmp_path / "a", tmp_path / "a.json")
    assert "no warm worker (cannot start a worker: [Errno 21] Is a directory" in stderr
    assert result["version"] == "one" and not workers_of(package)


def test_a_worker_that_fails_to_start_is_tried_once_per_run(package, tmp_path):
    starts = tmp_path / "starts"
    runs = package / "actzoo" / "runs.py"
    broken = f"open({str(starts)!r}, 'a').write('start\\n')\nraise RuntimeError('runs.py is broken')\n"
    runs.write_text(broken + runs.read_text())
    owners = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]) for _ in range(2)]
    try:
        _, _, first = job(package, tmp_path / "a", tmp_path / "a.json", owner=owners[0].pid)
        _, _, second = job(package, tmp_path / "b", tmp_path / "b.json", owner=owners[0].pid)
        assert starts.read_text() == "start\n", "one start for the run"
        assert "no warm worker (the worker did not start: RuntimeError: runs.py is broken)" in first
        assert "a worker failed to start earlier in this run: the worker did not start: RuntimeError" in second
        assert len(list((tmp_path / "sockets").iterdir())) == 1, "the failure, recorded in the lock file"
        owners[0].kill()
        owners[0].wait()
        job(package, tmp_path / "c", tmp_path / "c.json", owner=owners[1].pid)
        assert starts.read_text() == "start\n" * 2, "another run tries again"
        assert len(list((tmp_path / "sockets").iterdir())) == 1, "and removes the ended run's record"
    finally:
        for owner in owners:
            owner.kill()
            owner.wait()


def test_a_socket_directory_past_the_af_unix_path_limit_gets_a_worker(package, tmp_path, monkeypatch):
    deep = tmp_path / ("d" * 60) / ("e" * 60) / "sockets"
    assert len(str(deep / "0123456789abcdef01234567.sock")) > 108
    monkeypatch.setenv("ACTZOO_WORKER_DIR", str(deep))
    _, _, stderr = job(package, tmp_path / "a", tmp_path / "a.json")
    assert "in warm worker process" in stderr, stderr[-3000:]


@pytest.mark.parametrize("function", ["os:system", "actzoo_evil.module:f", "actzoo.logs:to_log;x"])
def test_only_actzoo_functions_are_ever_run(function):
    with pytest.raises(ValueError, match="not an actzoo function"):
        workercommon.resolve(function)


def test_a_failing_job_fails_with_its_error(package, tmp_path):
    message = "the probe failed\nArguments received by probe():\n  • kwargs=<class 'inspect._empty'>"
    process = job(package, tmp_path / "a", tmp_path / "a.json", fail=message, wait=False)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode != 0
    assert "warm worker process" in stderr, "it ran in a worker"
    assert "ValueError: the probe failed\nArguments received by probe()" in stderr, "the traceback, in the log"
    assert "actzoo.workerclient.JobFailed: ValueError: the probe failed\n" in stderr, "the summary: type and first line"


# -- with snakemake ------------------------------------------------------------------------

ONE_RUN = {
    "seeds": [1],
    "activations": ["tanh"],
    "datasets": {"circles": {"generator": "circles", "n_samples": 120}},
    "model": {"hidden_units": [4]},
    "training": {"epochs": 2, "batch_size": 16},
    "figures": {"grid_resolution": 10},
}


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_a_run_leaves_no_worker_and_no_file_behind(tmp_path, outcome):
    """Workers wait 10 minutes for more jobs here, so only the end of the
    snakemake run can stop them in time. Nothing stays in TMPDIR (autograph's
    generated modules, ~4 per training, did) or in the socket directory."""
    from conftest import copy_workflow

    config = dict(ONE_RUN)
    if outcome == "failure":
        # A trusted custom activation that raises once TensorFlow calls it: the
        # checks at start-up pass, the jobs fail (in the worker).
        config["activations"] = ["tanh", "failing_acts:explode"]
    directory = copy_workflow(tmp_path / "run", config)
    (directory / "failing_acts.py").write_text("def explode(x):\n    raise ValueError('explode')\n")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {
        **os.environ,
        "ACTZOO_WORKER_IDLE": "600",
        "ACTZOO_WORKER_DIR": str(tmp_path / "sockets"),
        "TMPDIR": str(temporary),
    }
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", "--keep-going"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert (result.returncode == 0) == (outcome == "success"), result.stderr[-3000:]
    logs = [log.read_text() for log in (directory / "logs" / "train").rglob("*.log")]
    assert logs and all("in warm worker process" in log for log in logs)
    if outcome == "failure":
        assert any("explode" in log for log in logs)
    scripts = directory / "workflow" / "scripts"
    assert wait_until(lambda: not workers_of(scripts), timeout=30), "a worker outlived snakemake"
    assert not list(temporary.rglob("*")), "files left in TMPDIR"
    assert not list((tmp_path / "sockets").iterdir()), "files left in the socket directory"
