#!/usr/bin/env bash
# Stop the daemons started by .ci/slurm-up.sh, by the PIDs it recorded in
# $STATE/pids (never by name), in reverse start order.  Safe to run when
# nothing is up; exits non-zero only if a recorded daemon cannot be stopped.
set -uo pipefail

STATE=${ACTZOO_SLURM_DIR:-/tmp/actzoo-slurm}
PIDS=$STATE/pids
log() { printf '[slurm-down] %s\n' "$*"; }

[ -d "$PIDS" ] || { log "nothing to stop ($PIDS missing)"; exit 0; }

# alive PID NAME: running, not a zombie (PID 1 here reaps lazily), and still
# the program we started (guards against PID reuse).
alive() {
    local st
    [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1)
    [ "$st" != Z ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# Cancel leftover jobs first so slurmd does not leave job processes behind.
if [ -s "$PIDS/slurmctld.pid" ] && alive "$(cat "$PIDS/slurmctld.pid")" slurmctld; then
    if [ -n "$(timeout 10 squeue -h -o %i 2>/dev/null)" ]; then
        log "cancelling leftover jobs"
        timeout 10 scancel --full -u root >/dev/null 2>&1 || true
        for _ in $(seq 20); do
            [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.5
        done
    fi
fi

rc=0
for n in slurmd slurmctld slurmdbd mariadbd munged; do
    f=$PIDS/$n.pid
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    if alive "$pid" "$n"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 150); do alive "$pid" "$n" || break; sleep 0.1; done
        if alive "$pid" "$n"; then
            log "$n ($pid) ignored SIGTERM for 15 s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
        if alive "$pid" "$n"; then
            log "could not stop $n ($pid)"; rc=1; continue
        fi
        log "stopped $n ($pid)"
    fi
    rm -f "$f"
done
rmdir "$PIDS" 2>/dev/null || true
exit $rc
