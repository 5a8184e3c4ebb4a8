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

from actzoo.processes import is_live_snakemake

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


def active_run(directory="."):
    """A one-line refusal if another snakemake run is active here, else None."""
    found = read(Path(directory) / RECORD)
    if not isinstance(found, dict) or not isinstance(found.get("pid"), int) or found["pid"] <= 0:
        return None  # garbage: no run wrote it
    # Another host's pid names nothing here; a process is never refused by its own record.
    if found.get("host") != socket.gethostname() or found["pid"] == os.getpid():
        return None
    if not is_live_snakemake(found["pid"]):
        return None  # it ended (a SIGKILL, a power cut), or its pid is another program's now
    return (
        f"actzoo: another snakemake run (pid {found['pid']}, started {found.get('started')}) is active "
        "in this directory; wait for it to finish (or stop it), then run again"
    )
