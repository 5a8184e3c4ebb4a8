#!/bin/sh
# properties = {properties}
#
# actzoo's SLURM job script (Snakemake fills in {{properties}} and
# {{exec_job}}; --jobscript).  It runs the job's snakemake as the child of a
# "subreaper": the warm worker that the pack's first training starts is
# adopted by this process when that training's process exits, instead of by
# init.  So the worker stays in the job's process tree, where SLURM counts
# its CPU time and memory (proctrack/linuxproc follows parentage), and this
# script waits for it: the worker leaves as soon as the snakemake it serves
# has ended, and the job ends after it.
exec python3 - <<'ACTZOO_JOB'
import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    print("jobscript: cannot become a subreaper; the warm worker is not counted", file=sys.stderr)
status = subprocess.call(r"""{exec_job}""", shell=True, stdin=subprocess.DEVNULL)
while True:  # reap what was adopted
    try:
        os.wait()
    except ChildProcessError:
        break
sys.exit(status if status >= 0 else 128 - status)
ACTZOO_JOB
