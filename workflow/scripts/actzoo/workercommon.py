"""What a job and its warm worker share: the worker's identity (who may
serve whom), the private socket directory and the files in it, the peer
check, and the only functions a worker runs. The job's side is
actzoo/workerclient.py, the worker's actzoo/worker.py; docs/worker.md says
what they guarantee and against whom.
"""

import contextlib
import fcntl
import hashlib
import importlib
import json
import os
import shutil
import socket
import stat
import struct
import sys
import tempfile
from pathlib import Path

from actzoo.processes import started

PACKAGE_DIR = Path(__file__).resolve().parent
# What TensorFlow, Keras and the libraries under them read when imported: a
# worker started under other values would not be the process the job expects.
IMPORT_ENV_PREFIXES = ("TF_", "KERAS_", "CUDA_", "OMP_", "MKL_", "KMP_", "OPENBLAS_", "PYTHON", "XLA_", "NVIDIA_")
IMPORT_ENV_NAMES = ("LD_LIBRARY_PATH", "LD_PRELOAD", "SLURM_JOB_ID")
SCRATCH_PREFIX = "actzoo-job-"  # a job's own temporary directory, under its TMPDIR
UCRED = struct.Struct("3i")  # SO_PEERCRED: pid, uid, gid


class WorkerUnavailable(Exception):
    """No worker could take the job; it was not started anywhere."""


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
        "owner_started": started(owner),
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


# -- the peer and what it may run ------------------------------------------------


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


def resolve(function):
    """The function an entry script names ("actzoo.runs:train_and_save"):
    only ever one of actzoo's own, whoever asks."""
    module, _, name = function.partition(":")
    if not (module == "actzoo" or module.startswith("actzoo.")) or not name.isidentifier():
        raise ValueError(f"not an actzoo function: {function!r}")
    return getattr(importlib.import_module(module), name)


def run_here(function, kwargs):
    return resolve(function)(**kwargs)
