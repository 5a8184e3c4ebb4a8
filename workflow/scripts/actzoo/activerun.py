"""One run per working directory, refused with a message that says so.

Snakemake 9 builds the DAG before it takes its lock, so a second run started
while a job of the first is running stops with an IncompleteFilesException
whose advice (``--rerun-incomplete``, ``--cleanup-metadata``) is wrong for a
run that is still going. The first run therefore records its process here
when its jobs start, and a second run is refused before it builds anything.
A record whose process is gone (a SIGKILL, a power cut) is ignored, so a
killed run never blocks the next one; Snakemake's own stale lock then asks
for ``--unlock`` as usual.
"""

import json
import os
import socket
import time
from pathlib import Path

RECORD = Path(".snakemake") / "actzoo-active-run.json"


def record(directory="."):
    """Note this process as the directory's active run."""
    path = Path(directory) / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started}))
    os.replace(tmp, path)


def release(directory="."):
    """Remove the record if this process wrote it."""
    path = Path(directory) / RECORD
    if (read(path) or {}).get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def read(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def is_snakemake(pid):
    """Whether ``pid`` is a live snakemake process on this host."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, but another user's
    try:
        return b"snakemake" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return not Path("/proc").is_dir()  # no /proc (macOS): the pid alone must do


def active_run(directory="."):
    """A one-line refusal if another snakemake run is active here, else None."""
    found = read(Path(directory) / RECORD)
    if not isinstance(found, dict) or not isinstance(found.get("pid"), int):
        return None
    if found.get("host") != socket.gethostname() or not is_snakemake(found["pid"]):
        return None
    return (
        f"actzoo: another snakemake run (pid {found['pid']}, started {found.get('started')}) is active "
        "in this directory; wait for it to finish (or stop it), then run again"
    )
