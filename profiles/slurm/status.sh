#!/bin/sh
# The cluster-generic executor's status command: prints running, success or
# failed for the SLURM job id $1, as the executor expects (one line).
# sacct knows a job from its start; squeue covers the moment before.
state=$(sacct -j "$1" -X -n -P -o State 2>/dev/null | head -n 1)
[ -n "$state" ] || state=$(squeue -h -j "$1" -o %T 2>/dev/null | head -n 1)

# A job neither knows is usually one accounting has not recorded yet, so it
# counts as running; but a job lost to both (its record purged, accounting
# down for good) would then be waited for forever. Count consecutive unknown
# answers per job (in the working directory: no shared /tmp) and give up
# after ACTZOO_STATUS_UNKNOWN_LIMIT of them (default 60, ~10 min of polls).
unknown=".snakemake/actzoo-status/$1.unknown"
if [ -z "$state" ]; then
    mkdir -p "${unknown%/*}"
    count=$(( $(cat "$unknown" 2>/dev/null || echo 0) + 1 ))
    echo "$count" > "$unknown"
    [ "$count" -lt "${ACTZOO_STATUS_UNKNOWN_LIMIT:-60}" ] || state=UNKNOWN
else
    rm -f "$unknown"
fi

case "$state" in
    COMPLETED)
        echo success ;;
    "" | PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED* | REQUEUE_* | RESIZING | STAGE_OUT | SIGNALING | RESV_DEL_HOLD | SPECIAL_EXIT | STOPPED)
        echo running ;;
    *)  # FAILED, TIMEOUT, OUT_OF_MEMORY, CANCELLED by ..., NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE, UNKNOWN
        echo failed ;;
esac
