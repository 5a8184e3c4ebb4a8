"""Warm workers: import TensorFlow once per workflow run, not once per job.

A Snakemake ``script:`` job starts a fresh interpreter, and importing
TensorFlow and Keras costs it 2.5-4.4 s and ~0.7 GB, most of a training job.
The first job that needs TensorFlow starts a worker: a process that imports
TensorFlow, Keras and actzoo and then only listens on a Unix socket. For
every job it forks a child, which runs the job's function with the job's
working directory, environment, ``sys.path``, stdout and stderr (the job's
log, passed as file descriptors) and exits. No TensorFlow op ever runs in the
worker itself: forking is safe there, and each child starts TensorFlow's
runtime afresh, with its own threads and seed.

Guarantees (tests/test_worker.py):

- *Never stale.* A worker serves only jobs whose key matches its own: the
  contents of every actzoo module, the Python executable, the installed
  library versions, the environment TensorFlow reads at import (``TF_*``,
  ``KERAS_*``, ``CUDA_*``, ...), the SLURM job, the user and the snakemake
  run the job belongs to. Anything else starts another worker.
- *Private.* The socket lives in a directory only the user can enter, and the
  worker serves only connections from its own user.
- *Killable.* The child watches the job's connection: when the job dies
  (Ctrl-C, a failing ``--keep-going`` run, SIGKILL, a SLURM limit), the
  child kills itself within ~0.1 s; checkpoints make the retry resume.
- *No orphans.* A worker exits when the snakemake run that started it ends,
  and after ``ACTZOO_WORKER_IDLE`` seconds (default 30) without a job.
- *Falls back.* If no worker can be started or reached, the job runs its
  function in its own process, as before, and its log says why. So does a
  job whose snakemake runs nothing else (an executor plugin's per-job
  snakemake, e.g. each training's ``srun`` step in a SLURM pack): a worker
  would import TensorFlow for that one job only.

``ACTZOO_WORKER=0`` switches workers off. It changes no result, so it is an
environment variable and not a config value.
"""

import fcntl
import hashlib
import importlib
import json
import os
import select
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from actzoo.provenance import versions

SWITCH = "ACTZOO_WORKER"
PACKAGE_DIR = Path(__file__).resolve().parent
# What TensorFlow, Keras and the libraries under them read when imported: a
# worker started under other values would not be the process the job expects.
IMPORT_ENV_PREFIXES = ("TF_", "KERAS_", "CUDA_", "OMP_", "MKL_", "KMP_", "OPENBLAS_", "PYTHON", "XLA_", "NVIDIA_")
IMPORT_ENV_NAMES = ("LD_LIBRARY_PATH", "LD_PRELOAD", "SLURM_JOB_ID")
# Imported once by the worker: TensorFlow, Keras and the actzoo modules jobs
# run. By name, not `import`: a script's code hash (actzoo.provenance) covers
# the function it hands to call(), not everything a worker may hold.
WARM_MODULES = ("actzoo.runs", "actzoo.models", "actzoo.engine")
START_TIMEOUT = 120  # seconds for a new worker to import TensorFlow and listen
POLL = 0.1
SERVE = "import json, sys; sys.path[:0] = json.loads(sys.argv[2]); from actzoo.worker import serve; serve()"


class WorkerUnavailable(Exception):
    """No worker could take the job; it was not started anywhere."""


class JobFailed(Exception):
    """The job ran in a worker and failed there (its traceback is in the log)."""


# -- identity -------------------------------------------------------------------


def package_hash(directory=PACKAGE_DIR):
    """SHA-256 over every module of the actzoo package: an edit anywhere is a new worker."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_snakemake(argv):
    """Whether a command line is a snakemake run (not one of its jobs)."""
    return any(arg.endswith("/snakemake") or arg == "snakemake" for arg in argv[:3]) or argv[1:3] == [
        "-m",
        "snakemake",
    ]


def runs_one_job(argv):
    """Whether a snakemake command line runs a single job: what executor
    plugins start for each job they submit (``--target-jobs`` with one job,
    e.g. each training's own ``srun`` step inside a SLURM pack)."""
    if "--target-jobs" not in argv:
        return False
    targets = argv[argv.index("--target-jobs") + 1 :]
    count = next((i for i, arg in enumerate(targets) if arg.startswith("-")), len(targets))
    return count == 1


def command_line(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").rstrip("\0").split("\0")
    except OSError:
        return []


def snakemake_run_pid():
    """The snakemake process this job belongs to: its nearest snakemake
    ancestor (a local run, or the snakemake inside a SLURM job), else the parent."""
    pid = os.getppid()
    while pid > 1:
        argv = command_line(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        if is_snakemake(argv):
            return pid
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return os.getppid()


def identity(owner):
    """Everything a worker must share with a job to serve it."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name.startswith(IMPORT_ENV_PREFIXES) or name in IMPORT_ENV_NAMES
    }
    return {
        "code": package_hash(),
        "python": sys.executable,
        "python_version": sys.version,
        "packages": versions(),
        "environment": environment,
        "uid": os.getuid(),
        "owner": owner,
    }


def key_of(identity):
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def socket_directory():
    """A directory only this user can enter; None if it cannot be made so."""
    base = os.environ.get("ACTZOO_WORKER_DIR") or os.path.join(
        os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir(), f"actzoo-{os.getuid()}"
    )
    path = Path(base)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as error:
        raise WorkerUnavailable(f"cannot make the socket directory {path}: {error}") from None
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise WorkerUnavailable(f"{path} is not private to this user (mode {oct(info.st_mode & 0o777)})")
    return path


# -- the job's side ---------------------------------------------------------------


def call(function, kwargs, owner=None, log=None):
    """Run ``function`` ("module:name") with JSON-able ``kwargs`` in a warm
    worker, or in this process where that is off or impossible."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    try:
        if os.environ.get(SWITCH, "1") == "0":
            log(f"actzoo: {SWITCH}=0: running {function} in the job's own process")
            return run_here(function, kwargs)
        owner = owner or snakemake_run_pid()
        if runs_one_job(command_line(owner)):
            # A worker would serve this job only, and on SLURM it would also
            # add its memory to the step's and leave its CPU time out of sacct.
            log(f"actzoo: snakemake {owner} runs only this job: running {function} in the job's own process")
            return run_here(function, kwargs)
        try:
            return run_in_worker(function, kwargs, owner, log)
        except WorkerUnavailable as reason:
            log(f"actzoo: no warm worker ({reason}); running {function} in the job's own process")
            return run_here(function, kwargs)
    finally:
        age = process_age()
        if age is not None:
            # What a job costs beyond its function (benchmarks/run.py reads it).
            log(f"actzoo: job process ran {age:.2f} s")


def process_age():
    """Seconds since this process started (10 ms resolution); None without /proc."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


def resolve(function):
    """The function an entry script names ("actzoo.runs:train_and_save"):
    only ever one of actzoo's own, whoever asks."""
    module, _, name = function.partition(":")
    if not (module == "actzoo" or module.startswith("actzoo.")) or not name.isidentifier():
        raise ValueError(f"not an actzoo function: {function!r}")
    return getattr(importlib.import_module(module), name)


def run_here(function, kwargs):
    return resolve(function)(**kwargs)


def run_in_worker(function, kwargs, owner, log):
    ident = identity(owner)
    key = key_of(ident)
    directory = socket_directory()
    path = directory / f"{key[:24]}.sock"
    request = {
        "key": key,
        "function": function,
        "kwargs": kwargs,
        "cwd": os.getcwd(),
        "environment": dict(os.environ),
        "path": list(sys.path),
    }
    for attempt in range(2):
        connection = connect(path) or start_worker(path, ident, directory)
        try:
            return exchange(connection, request, log)
        except WorkerUnavailable:
            if attempt:
                raise
        finally:
            connection.close()


def connect(path):
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(path))
        return connection
    except OSError:
        connection.close()
        return None


def start_worker(path, ident, directory):
    """Start a worker for ``ident`` unless another job is starting it; connect."""
    with open(directory / f"{path.stem}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one job starts it, the others wait here
        connection = connect(path)
        if connection:
            return connection
        path.unlink(missing_ok=True)
        search_path = json.dumps([str(PACKAGE_DIR.parent), *sys.path])
        # The owner is in the command line so that `ps` tells which run a worker serves.
        command = [sys.executable, "-c", SERVE, str(path), search_path, f"--owner={ident['owner']}"]
        worker_log = open(directory / f"{path.stem}.log", "ab")
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=worker_log,
                cwd="/",
                start_new_session=True,  # not in the job's process group: it outlives the job
            )
        finally:
            worker_log.close()
        process.stdin.write(json.dumps(ident).encode() + b"\n")
        process.stdin.close()
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
        answer = process.stdout.readline() if ready else b""
        process.stdout.close()
        if answer.strip() != b"ready":
            process.kill()
            raise WorkerUnavailable(f"the worker did not start (see {directory / path.stem}.log)")
        connection = connect(path)
        if connection is None:
            raise WorkerUnavailable("the new worker does not accept connections")
        return connection


def exchange(connection, request, log):
    """Hand the job to the worker, then wait for its outcome."""
    try:
        socket.send_fds(connection, [b"J"], [sys.stdout.fileno(), sys.stderr.fileno()])
        connection.sendall(json.dumps(request).encode() + b"\n")
        replies = connection.makefile("rb")
        accepted = json.loads(replies.readline() or b"{}")
    except (OSError, ValueError) as error:
        raise WorkerUnavailable(f"the worker did not answer: {error}") from None
    if "refused" in accepted:
        raise WorkerUnavailable(accepted["refused"])
    if "pid" not in accepted:
        raise WorkerUnavailable("the worker did not accept the job")
    log(f"actzoo: running {request['function']} in warm worker process {accepted['pid']}")
    outcome = json.loads(replies.readline() or b"{}")
    if outcome.get("ok"):
        return outcome.get("result")
    raise JobFailed(outcome.get("error") or f"the worker's process {accepted['pid']} died during the job")


# -- the worker's side --------------------------------------------------------------


class Server(socketserver.ForkingMixIn, socketserver.UnixStreamServer):
    """Forks one child per job; the child is the job."""

    key = None
    last_job = 0.0
    block_on_close = False

    def verify_request(self, request, client_address):
        """Only the worker's own user; the socket's directory already says so,
        this holds even if someone loosens its permissions."""
        credentials = request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)  # pid, uid, gid
        return int.from_bytes(credentials[4:8], sys.byteorder) == os.getuid()

    def process_request(self, request, client_address):
        self.last_job = time.monotonic()
        super().process_request(request, client_address)


class Job(socketserver.BaseRequestHandler):
    def handle(self):
        connection = self.request
        _, fds, _, _ = socket.recv_fds(connection, 1, 2)
        request = json.loads(connection.makefile("rb").readline())
        if request.get("key") != self.server.key:
            connection.sendall(json.dumps({"refused": "the worker was started for other code or settings"}).encode() + b"\n")
            return
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in fds:
            os.close(fd)
        watch(connection)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["environment"])
        sys.path[:] = request["path"]
        connection.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        try:
            result = run_here(request["function"], request["kwargs"])
            outcome = {"ok": True, "result": result if is_json(result) else None}
        except BaseException:  # the job's failure, reported to the job
            traceback.print_exc()
            outcome = {"ok": False, "error": traceback.format_exc(limit=-1).strip().splitlines()[-1]}
        sys.stdout.flush()
        sys.stderr.flush()
        connection.sendall(json.dumps(outcome).encode() + b"\n")


def is_json(value):
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def watch(connection):
    """Kill this child as soon as the job at the other end is gone."""

    def wait_for_hangup():
        try:
            while connection.recv(1):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=wait_for_hangup, daemon=True).start()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:  # a zombie is gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def serve():
    """The worker's main loop (``python -c`` from start_worker)."""
    path = Path(sys.argv[1])
    ident = json.loads(sys.stdin.readline())
    if identity(ident["owner"]) != ident:
        sys.exit("actzoo worker: started with other code or settings than the job's")
    for name in WARM_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "warm_up"):
            module.warm_up()  # one-off work its jobs would each repeat (no TensorFlow op)

    if package_hash() != ident["code"]:
        sys.exit("actzoo worker: the code changed while it was imported")
    idle = float(os.environ.get("ACTZOO_WORKER_IDLE", "30"))
    server = Server(str(path), Job, bind_and_activate=False)
    server.key = key_of(ident)
    old_umask = os.umask(0o177)
    try:
        server.server_bind()
    finally:
        os.umask(old_umask)
    server.server_activate()
    server.timeout = POLL
    server.last_job = time.monotonic()
    print("ready", flush=True)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    try:
        while alive(ident["owner"]):
            server.handle_request()
            if not server.active_children and time.monotonic() - server.last_job > idle:
                break
    finally:
        # Unlink before closing: a job that then finds no socket starts a new
        # worker, and one already queued here gets no answer and retries.
        path.unlink(missing_ok=True)
        server.server_close()
