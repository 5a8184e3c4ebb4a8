"""What a Snakemake job runs: hand its function to a warm worker
(actzoo/worker.py), or run it in the job's own process where that is off or
impossible, and say in the log which. The job connects, checks that its own
user listens (SO_PEERCRED) before it sends anything, hands over its
environment, arguments and log descriptors, then forwards the signals it gets
to the worker's child that runs it. docs/worker.md says what that guarantees.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile

from actzoo.processes import command_line, runs_one_job, seconds_running, snakemake_ancestor
from actzoo.worker import start_worker
from actzoo.workercommon import (
    SCRATCH_PREFIX,
    WorkerUnavailable,
    connect,
    identity,
    key_of,
    peer,
    run_here,
    socket_directory,
)

SWITCH = "ACTZOO_WORKER"


class JobFailed(Exception):
    """The job ran in a worker and failed there (its traceback is in the log)."""


class Terminated(Exception):
    """The job was asked to end by a signal, which its child got too."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def call(function, kwargs, owner=None, log=None):
    """Run ``function`` ("module:name") with JSON-able ``kwargs`` in a warm
    worker, or in this process where that is off or impossible."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    try:
        if os.environ.get(SWITCH, "1") == "0":
            log(f"actzoo: {SWITCH}=0: running {function} in the job's own process")
            return run_here(function, kwargs)
        owner = owner or snakemake_ancestor()
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
        age = seconds_running()
        if age is not None:
            # What a job costs beyond its function (benchmarks/run.py reads it).
            log(f"actzoo: job process ran {age:.2f} s")


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
    worker, _, _ = peer(connection)
    log(f"actzoo: running {request['function']} in warm worker process {child} (forked by worker {worker})")
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
