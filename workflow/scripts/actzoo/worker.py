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

Three modules: this one is the worker (started by the first job that finds
none, it forks a child per job, keeps its lock and log files and sweeps what
ended runs left); actzoo/workerclient.py is what a job runs (``call``);
actzoo/workercommon.py is what both need (identity, socket directory, peer
check). Processes are inspected through actzoo/processes.py.

Guarantees (tests/test_worker.py):

- *Never stale.* A worker serves only jobs whose key matches its own: the
  contents of every actzoo module, the Python executable, every installed
  distribution, the environment TensorFlow reads at import (``TF_*``,
  ``KERAS_*``, ``CUDA_*``, ...), the SLURM job, the user and the snakemake
  run the job belongs to. Anything else starts another worker.
- *Private.* The socket lives in a directory only the user can enter, opened
  once without following symbolic links and checked on its descriptor; every
  later name is looked up through that descriptor (``/proc/self/fd/N/name``),
  so a link planted or swapped in a shared ``/tmp`` redirects nothing. The
  job sends nothing before ``SO_PEERCRED`` says its own user listens, and the
  worker serves only its own user. (Threat model: docs/worker.md.)
- *Killable.* The child watches the job's connection: when the job dies
  (Ctrl-C, a failing ``--keep-going`` run, SIGKILL, a SLURM limit), the
  child kills itself within ~0.1 s; checkpoints make the retry resume. The
  job forwards job control and termination signals to its child, which is in
  the worker's session, not the job's: Ctrl-Z stops the training too.
- *Clean.* Each job gets its own temporary directory under its ``TMPDIR``,
  removed when the job ends; a worker removes its socket, lock and log when
  it exits, and a start removes what the workers of ended runs left.
- *No orphans.* A worker exits when the snakemake run that started it ends,
  and after ``ACTZOO_WORKER_IDLE`` seconds (default 30) without a job.
- *Falls back.* If no worker can be started or reached, the job runs its
  function in its own process, as before, and its log says why. A worker
  that failed to start is not started again in the same run. So does a
  job whose snakemake runs nothing else (an executor plugin's per-job
  snakemake, e.g. each training's ``srun`` step in a SLURM pack): a worker
  would import TensorFlow for that one job only.

``ACTZOO_WORKER=0`` switches workers off. It changes no result, so it is an
environment variable and not a config value.
"""

import contextlib
import fcntl
import importlib
import json
import os
import select
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from actzoo.processes import is_alive, started
from actzoo.workercommon import (
    PACKAGE_DIR,
    SCRATCH_PREFIX,
    WorkerUnavailable,
    connect,
    identity,
    in_directory,
    key_of,
    open_in,
    package_hash,
    peer,
    remove,
    remove_tree,
    run_here,
    same_file,
    take_lock,
)

# Imported once by the worker: TensorFlow, Keras and the actzoo modules jobs
# run. By name, not `import`: a script's code hash (actzoo.provenance) covers
# the function it hands to call(), not everything a worker may hold.
WARM_MODULES = ("actzoo.runs", "actzoo.models", "actzoo.engine")
START_TIMEOUT = 120  # seconds for a new worker to import TensorFlow and listen
POLL = 0.1
SERVE = "import json, sys; sys.path[:0] = json.loads(sys.argv[2]); from actzoo.worker import serve; serve()"


# -- starting a worker (in the job that finds none) ---------------------------------


def start_worker(directory, stem, ident):
    """Start a worker for ``ident`` unless another job is starting it; connect.
    A failed start is recorded in the lock file: the run's later jobs do not
    pay for another (a worker that imports TensorFlow and dies costs seconds)."""
    lock = take_lock(directory, f"{stem}.lock")  # one job starts it, the others wait here
    try:
        connection = connect(directory, f"{stem}.sock")
        if connection:
            return connection
        record = json.loads(os.pread(lock, 65536, 0) or b"{}")
        if "failed" in record:
            raise WorkerUnavailable(f"a worker failed to start earlier in this run: {record['failed']}")
        sweep(directory)
        record = {"owner": ident["owner"], "owner_started": ident["owner_started"]}
        os.pwrite(lock, json.dumps(record).encode(), 0)
        remove(directory, f"{stem}.sock")
        remove(directory, f"{stem}.log")  # a fresh file: an exiting worker removes only its own log
        process, answer = launch(directory, stem, ident)
        if answer.strip() != b"ready":
            process.kill()
            process.wait()
            failed = f"the worker did not start: {last_line(directory, f'{stem}.log')}"
            os.pwrite(lock, json.dumps({**record, "failed": failed}).encode(), 0)
            remove(directory, f"{stem}.log")
            remove_tree(directory, f"{stem}.tmp")
            raise WorkerUnavailable(failed)
        connection = connect(directory, f"{stem}.sock")
        if connection is None:
            raise WorkerUnavailable("the new worker does not accept connections")
        return connection
    finally:
        os.close(lock)


def launch(directory, stem, ident):
    """Spawn a worker for ``ident`` in a session of its own, logging to
    ``<stem>.log``; (its process, its first line or b"" if it said nothing
    within START_TIMEOUT)."""
    search_path = json.dumps([str(PACKAGE_DIR.parent), *sys.path])
    # The owner is in the command line so that `ps` tells which run a worker serves.
    command = [sys.executable, "-c", SERVE, stem, search_path, f"--owner={ident['owner']}"]
    worker_log = open_in(directory, f"{stem}.log", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=worker_log,
            cwd="/",
            pass_fds=(directory,),
            start_new_session=True,  # not in the job's process group: it outlives the job
        )
    finally:
        os.close(worker_log)
    with process.stdout:
        process.stdin.write(json.dumps({"identity": ident, "directory": directory}).encode() + b"\n")
        process.stdin.close()
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
        answer = process.stdout.readline() if ready else b""
    return process, answer


def last_line(directory, name):
    try:
        fd = open_in(directory, name, os.O_RDONLY)
    except OSError:
        return "no log"
    with os.fdopen(fd, "rb") as log:
        lines = log.read().decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "it wrote nothing"


def sweep(directory):
    """Remove what the workers of ended runs left (a worker killed with -9, a
    failed start): each lock file records its run; skip those someone holds."""
    for name in os.listdir(directory):
        if not name.endswith(".lock"):
            continue
        try:
            lock = open_in(directory, name, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            record = json.loads(os.pread(lock, 65536, 0) or b"{}")
            ended = "owner" in record and started(record["owner"]) != record["owner_started"]
            if ended and same_file(directory, name, lock):
                stem = name.removesuffix(".lock")
                remove_tree(directory, f"{stem}.tmp")
                for leftover in (".sock", ".log", ".lock"):
                    remove(directory, stem + leftover)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        finally:
            os.close(lock)


# -- the worker's side --------------------------------------------------------------


def how_it_ended(status):
    code = os.waitstatus_to_exitcode(status)
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"


def summary(error):
    """``ValueError: first line of its message``: what the job's last line reports."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


class Server(socketserver.UnixStreamServer):
    """Forks one child per job, as many as the run's jobs (a cap would queue
    the jobs past it behind running ones); the child is the job. The worker
    keeps each job's connection until it has reaped the child, to tell the
    job how a child that died ended."""

    key = None
    last_job = 0.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.jobs = {}  # child pid -> its job's connection

    def verify_request(self, request, client_address):
        """Only the worker's own user; the socket's directory already says so,
        this holds even if someone loosens its permissions."""
        return peer(request)[1] == os.getuid()

    def process_request(self, request, client_address):
        self.last_job = time.monotonic()
        pid = os.fork()
        if pid:
            self.jobs[pid] = request
            return
        status = 1
        try:
            self.socket.close()
            for other in self.jobs.values():
                other.close()  # the other jobs see the end of their own child only
            self.finish_request(request, client_address)
            status = 0
        except BaseException:
            self.handle_error(request, client_address)
        finally:
            os._exit(status)

    def reap(self):
        for pid in list(self.jobs):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                connection = self.jobs.pop(pid)
                with contextlib.suppress(OSError):  # a job that has its outcome has gone
                    connection.sendall(json.dumps({"ended": how_it_ended(status)}).encode() + b"\n")
                connection.close()


class Job(socketserver.BaseRequestHandler):
    def handle(self):
        connection = self.request
        _, fds, _, _ = socket.recv_fds(connection, 1, 2)
        request = json.loads(connection.makefile("rb").readline())
        if request.get("key") != self.server.key:
            connection.sendall(
                json.dumps({"refused": "the worker was started for other code or settings"}).encode() + b"\n"
            )
            return
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in fds:
            os.close(fd)
        scratch = request["scratch"]
        watch(connection, scratch)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["environment"])
        tempfile.tempdir = scratch  # the worker's cached value is not the job's
        sys.path[:] = request["path"]
        connection.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        try:
            result = run_here(request["function"], request["kwargs"])
            outcome = {"ok": True, "result": result if is_json(result) else None}
        except BaseException as error:  # the job's failure, reported to the job
            traceback.print_exc()
            outcome = {"ok": False, "error": summary(error)}
        sys.stdout.flush()
        sys.stderr.flush()
        connection.sendall(json.dumps(outcome).encode() + b"\n")


def is_json(value):
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def watch(connection, scratch):
    """Kill this child as soon as the job at the other end is gone, removing
    the job's temporary directory first: the job can no longer."""

    def wait_for_hangup():
        try:
            while connection.recv(1):
                pass
        except OSError:
            pass
        if os.path.basename(scratch).startswith(SCRATCH_PREFIX):
            shutil.rmtree(scratch, ignore_errors=True)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=wait_for_hangup, daemon=True).start()


def serve():
    """The worker's main loop (``python -c`` from start_worker)."""
    stem = sys.argv[1]
    message = json.loads(sys.stdin.readline())
    ident, directory = message["identity"], message["directory"]
    if identity(ident["owner"]) != ident:
        sys.exit("actzoo worker: started with other code or settings than the job's")
    # The worker's own temporary files (autograph's, from warm-ups) go with
    # its other files, not into the TMPDIR of the job that started it.
    remove_tree(directory, f"{stem}.tmp")
    os.mkdir(f"{stem}.tmp", 0o700, dir_fd=directory)
    tempfile.tempdir = in_directory(directory, f"{stem}.tmp")
    for name in WARM_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "warm_up"):
            module.warm_up()  # one-off work its jobs would each repeat (no TensorFlow op)

    if package_hash() != ident["code"]:
        sys.exit("actzoo worker: the code changed while it was imported")
    idle = float(os.environ.get("ACTZOO_WORKER_IDLE", "30"))
    server = Server(in_directory(directory, f"{stem}.sock"), Job, bind_and_activate=False)
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
        while is_alive(ident["owner"]):
            server.handle_request()
            server.reap()
            if not server.jobs and time.monotonic() - server.last_job > idle:
                break
    finally:
        # Unlink the socket first: a job that then finds no socket starts a
        # new worker, and one already queued here gets no answer and retries.
        remove(directory, f"{stem}.sock")
        server.server_close()
        leave(directory, stem)


def leave(directory, stem):
    """Remove this worker's lock, log and temporary files. Under the lock: a
    job starting the next worker for the key holds it until that worker
    listens, and jobs waiting for it move on to a new lock file (take_lock)."""
    lock = take_lock(directory, f"{stem}.lock")
    try:
        if same_file(directory, f"{stem}.log", 2):  # not the next worker's
            remove(directory, f"{stem}.log")
            remove_tree(directory, f"{stem}.tmp")
        remove(directory, f"{stem}.lock")
    finally:
        os.close(lock)
