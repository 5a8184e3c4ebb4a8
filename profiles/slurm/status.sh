#!/bin/sh
# The cluster-generic executor's status command: prints running, success or
# failed for the SLURM job id $1, as the executor expects (one line).
# sacct knows a job from its start; squeue covers the moment before.
state=$(sacct -j "$1" -X -n -P -o State 2>/dev/null | head -n 1)
[ -n "$state" ] || state=$(squeue -h -j "$1" -o %T 2>/dev/null | head -n 1)
case "$state" in
    COMPLETED)
        echo success ;;
    "" | PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED* | REQUEUE_* | RESIZING | STAGE_OUT | SIGNALING | RESV_DEL_HOLD | SPECIAL_EXIT | STOPPED)
        echo running ;;
    *)  # FAILED, TIMEOUT, OUT_OF_MEMORY, CANCELLED by ..., NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE
        echo failed ;;
esac
