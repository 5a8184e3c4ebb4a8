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
import hashlib
import importlib
import json
import os
import select
import shutil
import signal
import socket
import socketserver
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

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
SCRATCH_PREFIX = "actzoo-job-"  # a job's own temporary directory, under its TMPDIR
UCRED = struct.Struct("3i")  # SO_PEERCRED: pid, uid, gid


class WorkerUnavailable(Exception):
    """No worker could take the job; it was not started anywhere."""


class JobFailed(Exception):
    """The job ran in a worker and failed there (its traceback is in the log)."""


class Terminated(Exception):
    """The job was asked to end by a signal, which its child got too."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# -- identity -------------------------------------------------------------------


def package_hash(directory=PACKAGE_DIR):
    """SHA-256 over every module of the actzoo package: an edit anywhere is a new worker."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def distributions():
    """SHA-256 over the names of the metadata directories on ``sys.path``
    (``h5py-3.12.1.dist-info``): every installed distribution and its version,
    from directory listings only. Names, not their places: a worker's
    ``sys.path`` has entries its jobs' lack (the package's, its own cwd)."""
    names = set()
    for entry in filter(None, sys.path):
        with contextlib.suppress(OSError):
            names.update(name for name in os.listdir(entry) if name.endswith((".dist-info", ".egg-info")))
    return hashlib.sha256("\0".join(sorted(names)).encode()).hexdigest()


def is_snakemake(argv):
    """Whether a command line is a snakemake run (not one of its jobs)."""
    return any(arg.endswith("/snakemake") or arg == "snakemake" for arg in argv[:3]) or argv[1:3] == [
        "-m",
        "snakemake",
    ]


def runs_one_job(argv):
    """Whether a snakemake command line runs a single job: what executor
    plugins start for each job they submit (``--target-jobs`` with one job,
    e.g. each training's own ``srun`` step inside a SLURM pack). Reads the
    option as argparse does: ``--target-jobs A B``, ``--target-jobs=A``, or an
    abbreviation such as ``--target-job A``."""
    jobs = 0
    for index, arg in enumerate(argv):
        option, equals, _ = arg.partition("=")
        if len(option) <= len("--target-") or not "--target-jobs".startswith(option):
            continue
        if equals:
            jobs += 1
        else:
            following = argv[index + 1 :]
            jobs += next((i for i, other in enumerate(following) if other.startswith("-")), len(following))
    return jobs == 1


def command_line(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").rstrip("\0").split("\0")
    except OSError:
        return []


def start_ticks(pid):
    """When process ``pid`` started (clock ticks since boot): with the pid, a
    process no later one can be mistaken for. None if it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def snakemake_run_pid():
    """The snakemake process this job belongs to: its nearest snakemake
    ancestor (a local run, or the snakemake inside a SLURM job), else the parent."""
    pid = os.getppid()
    while pid > 1:
        argv = command_line(pid)
        try:
            stat_line = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        if is_snakemake(argv):
            return pid
        pid = int(stat_line.rsplit(")", 1)[1].split()[1])
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
        "distributions": distributions(),
        "environment": environment,
        "uid": os.getuid(),
        "owner": owner,
        "owner_started": start_ticks(owner),
    }


def key_of(identity):
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


# -- the socket directory ---------------------------------------------------------


def socket_directory():
    """A descriptor of a directory only this user can enter, opened without
    following a symbolic link: names under it cannot be redirected."""
    path = os.path.abspath(
        os.environ.get("ACTZOO_WORKER_DIR")
        or os.path.join(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir(), f"actzoo-{os.getuid()}")
    )
    parent, name = os.path.split(path)
    try:
        os.makedirs(parent, mode=0o700, exist_ok=True)
        parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise WorkerUnavailable(f"cannot make the socket directory {path}: {error.strerror}") from None
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o700, dir_fd=parent_fd)  # creates no directory through a planted link
        if stat.S_ISLNK(os.stat(name, dir_fd=parent_fd, follow_symlinks=False).st_mode):
            raise WorkerUnavailable(f"the socket directory {path} is a symbolic link")
        directory = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
    except OSError as error:
        raise WorkerUnavailable(f"cannot make the socket directory {path}: {error.strerror}") from None
    finally:
        os.close(parent_fd)
    try:
        check_private(directory, path)
    except WorkerUnavailable:
        os.close(directory)
        raise
    return directory


def check_private(directory, path):
    info = os.fstat(directory)
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid != os.getuid() or mode != 0o700:
        raise WorkerUnavailable(f"{path} is not private to this user (owner uid {info.st_uid}, mode {oct(mode)})")
    if not os.path.isdir(in_directory(directory, ".")):
        raise WorkerUnavailable("no /proc/self/fd to reach the socket directory through")


def in_directory(directory, name):
    """A path to ``name`` in the open ``directory`` that no link can redirect:
    the kernel resolves /proc/self/fd/N to the directory itself. It also stays
    far below AF_UNIX's 108 bytes, however deep the directory is."""
    return f"/proc/self/fd/{directory}/{name}"


def open_in(directory, name, flags):
    return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=directory)


def remove(directory, name):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=directory)


def remove_tree(directory, name):
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(name, dir_fd=directory)


def take_lock(directory, name):
    """Hold the lock file ``name`` exclusively. A worker that exits removes its
    lock file while holding it: whoever waited on the removed file takes the
    one now at ``name`` instead, so two holders never hold different files."""
    while True:
        lock = open_in(directory, name, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        except BaseException:
            os.close(lock)
            raise
        if same_file(directory, name, lock):
            return lock
        os.close(lock)


def same_file(directory, name, fd):
    try:
        return os.stat(name, dir_fd=directory, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
    except OSError:
        return False


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
            ended = "owner" in record and start_ticks(record["owner"]) != record["owner_started"]
            if ended and same_file(directory, name, lock):
                stem = name.removesuffix(".lock")
                remove_tree(directory, f"{stem}.tmp")
                for leftover in (".sock", ".log", ".lock"):
                    remove(directory, stem + leftover)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        finally:
            os.close(lock)


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
    except Terminated as terminated:
        # The child got the signal and ended; the job ends as it would have
        # without a worker: by the same signal.
        log(f"actzoo: the job got {terminated}")
        signal.signal(terminated.signum, signal.SIG_DFL)
        os.kill(os.getpid(), terminated.signum)
        raise
    finally:
        age = process_age()
        if age is not None:
            # What a job costs beyond its function (benchmarks/run.py reads it).
            log(f"actzoo: job process ran {age:.2f} s")


def process_age():
    """Seconds since this process started (10 ms resolution); None without /proc."""
    ticks = start_ticks("self")
    try:
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return None if ticks is None else uptime - ticks / os.sysconf("SC_CLK_TCK")


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
    stem = key_of(ident)[:24]
    directory = socket_directory()
    scratch = None
    try:
        try:
            # Under the job's TMPDIR (Snakemake's resources.tmpdir); the child
            # exits with os._exit, so what it leaves there (autograph's
            # generated modules) is removed with the directory.
            scratch = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
        except OSError as error:
            raise WorkerUnavailable(f"cannot make the job's temporary directory: {error}") from None
        request = {
            "key": key_of(ident),
            "function": function,
            "kwargs": kwargs,
            "cwd": os.getcwd(),
            "environment": {**os.environ, "TMPDIR": scratch},
            "scratch": scratch,
            "path": list(sys.path),
        }
        for attempt in range(2):
            try:
                connection = connect(directory, f"{stem}.sock") or start_worker(directory, stem, ident)
            except OSError as error:
                # Nothing has run yet (an unusable lock, flock refused, fork failed, a full quota).
                raise WorkerUnavailable(f"cannot start a worker: {error}") from None
            try:
                return exchange(connection, request, log)
            except WorkerUnavailable:
                if attempt:
                    raise
            finally:
                connection.close()
    finally:
        os.close(directory)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def peer(connection):
    """(pid, uid, gid) of the process at the other end of a Unix socket."""
    return UCRED.unpack(connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, UCRED.size))


def connect(directory, name):
    """A connection to this user's worker listening at ``name``; None if none listens."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(in_directory(directory, name))
    except OSError:
        connection.close()
        return None
    _, uid, _ = peer(connection)
    if uid != os.getuid():
        connection.close()
        raise WorkerUnavailable(f"the socket {name} is served by uid {uid}, not this user; nothing was sent")
    return connection


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


def last_line(directory, name):
    try:
        fd = open_in(directory, name, os.O_RDONLY)
    except OSError:
        return "no log"
    with os.fdopen(fd, "rb") as log:
        lines = log.read().decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "it wrote nothing"


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
    child = accepted["pid"]
    log(f"actzoo: running {request['function']} in warm worker process {child}")
    with forwarding_signals(child) as received:
        try:
            outcome = json.loads(replies.readline() or b"{}")
        except (OSError, ValueError):
            outcome = {}
    if received:
        raise Terminated(received[0])
    if outcome.get("ok"):
        return outcome.get("result")
    if "error" in outcome:
        raise JobFailed(outcome["error"])
    raise JobFailed(f"the job's worker process {child} {outcome.get('ended', 'died during the job')}")


@contextlib.contextmanager
def forwarding_signals(child):
    """Job control and termination signals sent to the job reach its child,
    which is in the worker's session and so not in the job's process group.
    Yields the termination signals received, each also sent to the child."""
    try:
        target = os.pidfd_open(child)  # the child itself, even if its pid were reused
    except OSError:
        target = None

    def send(signum):
        with contextlib.suppress(ProcessLookupError):
            if target is None:
                os.kill(child, signum)
            else:
                signal.pidfd_send_signal(target, signum)

    def stop(signum, frame):
        # SIGSTOP, not SIGTSTP: the kernel drops SIGTSTP for the worker's
        # process group, which is orphaned (its parent is in another session).
        send(signal.SIGSTOP)
        os.kill(os.getpid(), signal.SIGSTOP)

    received = []

    def terminate(signum, frame):
        received.append(signum)
        send(signum)

    handlers = {
        signal.SIGTSTP: stop,
        signal.SIGCONT: lambda signum, frame: send(signal.SIGCONT),
        signal.SIGINT: terminate,
        signal.SIGTERM: terminate,
    }
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if target is not None:
            os.close(target)


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
        while alive(ident["owner"]):
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
