#!/usr/bin/env bash
# Start a throw-away single-node SLURM cluster (with accounting) on this
# machine, as root, for tests that run `snakemake --executor slurm`.
#
#   bash .ci/slurm-up.sh        # 3-15 s (+ 10-30 s apt-get on a fresh machine)
#   bash .ci/slurm-down.sh      # stops exactly the daemons started here
#
# Daemons: munged, mariadbd (private datadir, 127.0.0.1:$ACTZOO_SLURM_DBPORT),
# slurmdbd, slurmctld, slurmd.  Each runs in the foreground of its own
# background job; its PID ($!) goes to $STATE/pids/<name>.pid and
# slurm-down.sh stops it by that PID only.  All state and logs live in
# $STATE (default /tmp/actzoo-slurm); slurm.conf goes to /etc/slurm (where
# sbatch/sinfo/sacct look for it).
#
# Env knobs:
#   ACTZOO_SLURM_DIR        state/log dir            (default /tmp/actzoo-slurm)
#   ACTZOO_SLURM_PARTITION  partition name           (default debug)
#   ACTZOO_SLURM_DBPORT     private mariadb TCP port (default 23306)
#   ACTZOO_SLURM_TIMEOUT    seconds to wait for node idle / sacct (default 90)
#   ACTZOO_SLURM_MEMKILL    1 (default): kill job steps that exceed their --mem
#                           (JobAcctGatherParams=OverMemoryKill, 1 s polling),
#                           as a real cluster does; 0: memory is not enforced
set -euo pipefail

STATE=${ACTZOO_SLURM_DIR:-/tmp/actzoo-slurm}
PARTITION=${ACTZOO_SLURM_PARTITION:-debug}
DBPORT=${ACTZOO_SLURM_DBPORT:-23306}
TIMEOUT=${ACTZOO_SLURM_TIMEOUT:-90}
MEMKILL=${ACTZOO_SLURM_MEMKILL:-1}
CLUSTER=actzoo
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T0=$(date +%s)

log() { printf '[slurm-up %3ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() {
    printf '[slurm-up] ERROR: %s\n' "$*" >&2
    for f in "$STATE"/log/*.log; do
        [ -f "$f" ] || continue
        printf -- '--- last lines of %s ---\n' "$f" >&2
        tail -n 15 "$f" >&2 || true
    done
    if [ "${ACTZOO_SLURM_KEEP_ON_FAIL:-0}" != 1 ] && [ -d "$STATE/pids" ]; then
        echo "[slurm-up] stopping what was started (ACTZOO_SLURM_KEEP_ON_FAIL=1 keeps it)" >&2
        bash "$HERE/slurm-down.sh" >&2 || true
    fi
    exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root"

# ---------------------------------------------------------------- packages
need_apt=0
for b in munged mariadbd mariadb-install-db slurmdbd slurmctld slurmd sbatch sacct; do
    command -v "$b" >/dev/null 2>&1 || need_apt=1
done
if [ "$need_apt" = 1 ]; then
    log "installing slurm-wlm munge slurmdbd mariadb-server (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >"/tmp/actzoo-slurm-apt.log" 2>&1 \
        || { cat /tmp/actzoo-slurm-apt.log >&2; die "apt-get update failed"; }
    apt-get install -y -qq --no-install-recommends \
        slurm-wlm munge slurmdbd mariadb-server >>"/tmp/actzoo-slurm-apt.log" 2>&1 \
        || { tail -n 30 /tmp/actzoo-slurm-apt.log >&2; die "apt-get install failed"; }
else
    log "slurm/munge/mariadb binaries present, skipping apt"
fi

# ---------------------------------------------------------------- already up?
cluster_ok() {
    timeout 10 sinfo -h -N -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)' \
        && timeout 10 sacct -n -X -S now-1minutes >/dev/null 2>&1
}
# alive NAME: the PID recorded for NAME runs, is not a zombie (PID 1 here
# reaps lazily) and is still that program (guards against PID reuse).
alive() {
    local f=$STATE/pids/$1.pid pid st
    [ -s "$f" ] || return 1
    pid=$(cat "$f")
    [ -r "/proc/$pid/stat" ] || return 1
    st=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
    [ "$st" != Z ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ]
}
all_alive() {
    local n
    if [ -e "$STATE/pids/munged.pid" ]; then alive munged || return 1; fi
    for n in mariadbd slurmdbd slurmctld slurmd; do alive "$n" || return 1; done
}
if all_alive && cluster_ok; then
    log "cluster already up (pids in $STATE/pids); nothing to do"
    exit 0
fi
if [ -d "$STATE/pids" ]; then
    log "stale/partial cluster found: stopping it first"
    bash "$HERE/slurm-down.sh" || true
fi

# Anything else (e.g. daemons whose pid files were wiped) on our ports?
port_busy() {  # port_busy PORT -> listening TCP socket on it?
    local hex; hex=$(printf ':%04X$' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v h="$hex" '$2 ~ h && $4 == "0A" {f=1} END {exit !f}'
}
for p in 6817 6818 6819 "$DBPORT"; do
    if port_busy "$p"; then
        sleep 2  # sockets of just-stopped daemons may linger briefly
        port_busy "$p" && die "TCP port $p is in use by a process not started by this script" \
            "(slurmctld 6817, slurmd 6818, slurmdbd 6819, mariadb $DBPORT); stop it or set ACTZOO_SLURM_DBPORT"
    fi
done

OWN_MUNGE=1
if [ -S /run/munge/munge.socket.2 ] && munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    OWN_MUNGE=0   # a munged not started by us already serves: use it, leave it alone
fi

# ---------------------------------------------------------------- fresh state
rm -rf "$STATE"
mkdir -p "$STATE"/{pids,log,ctld,spool,mysql,run}
chown slurm:slurm "$STATE/ctld" "$STATE/spool" "$STATE/log"
chown mysql:mysql "$STATE/mysql" "$STATE/run"
chmod 755 "$STATE"

NODE=$(hostname -s)
CPUS=$(nproc)
# slurmd -C reports the usable memory; stay at 90 % of it so the node
# never drains with "Low RealMemory".
MEM_C=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -n1)
[ -n "$MEM_C" ] || MEM_C=$(free -m | awk '/^Mem:/{print $2}')
REALMEM=$(( MEM_C * 90 / 100 ))

# ---------------------------------------------------------------- munge
mkdir -p /run/munge /var/lib/munge /var/log/munge /etc/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    log "creating /etc/munge/munge.key"
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown munge:munge /etc/munge /etc/munge/munge.key
chmod 700 /etc/munge
chmod 400 /etc/munge/munge.key
if [ "$OWN_MUNGE" = 1 ]; then
    log "starting munged"
    setpriv --reuid=munge --regid=munge --init-groups \
        munged -F --force --log-file="$STATE/log/munged.log" \
        >>"$STATE/log/munged.log" 2>&1 &
    echo $! >"$STATE/pids/munged.pid"
else
    log "using the munged that is already running (not started here, will not be stopped)"
fi
for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
munge -n </dev/null | unmunge >/dev/null 2>&1 || die "munged does not answer"

# ---------------------------------------------------------------- mariadb
log "initialising private mariadb in $STATE/mysql"
mariadb-install-db --user=mysql --datadir="$STATE/mysql" --auth-root-authentication-method=socket \
    --skip-test-db >"$STATE/log/mariadb-install.log" 2>&1 || die "mariadb-install-db failed"
log "starting mariadbd on 127.0.0.1:$DBPORT"
mariadbd --no-defaults --user=mysql --datadir="$STATE/mysql" \
    --socket="$STATE/run/mysqld.sock" --pid-file="$STATE/run/mysqld.pid" \
    --bind-address=127.0.0.1 --port="$DBPORT" \
    --innodb-buffer-pool-size=512M --innodb-log-file-size=64M --innodb-lock-wait-timeout=900 \
    --log-error="$STATE/log/mariadbd.log" >>"$STATE/log/mariadbd.log" 2>&1 &
echo $! >"$STATE/pids/mariadbd.pid"
SQL=(mariadb --no-defaults -uroot --socket="$STATE/run/mysqld.sock")
for _ in $(seq 100); do "${SQL[@]}" -e 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
"${SQL[@]}" -e 'select 1' >/dev/null 2>&1 || die "mariadbd did not come up"
DBPASS=actzoo-slurm
"${SQL[@]}" <<SQL || die "could not create the slurm DB user"
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL

# ---------------------------------------------------------------- configs
mkdir -p /etc/slurm
if [ "$MEMKILL" = 1 ]; then
    GATHER=$'JobAcctGatherFrequency=task=1\nJobAcctGatherParams=OverMemoryKill'
else
    GATHER='JobAcctGatherFrequency=task=30'
fi
cat >/etc/slurm/slurm.conf.actzoo-new <<CONF
# Written by actzoo .ci/slurm-up.sh -- single-node test cluster.
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
# task/affinity (not task/none): the slurm-jobstep plugin runs "srun --cpu-bind=q",
# which fails with "cluster configuration lacks support for cpu binding" under task/none.
TaskPlugin=task/affinity
SwitchType=switch/none
MpiDefault=none
LaunchParameters=use_interactive_step
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MailProg=/bin/true
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
Waittime=0
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
$GATHER
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$REALMEM State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
chmod 644 /etc/slurm/slurm.conf.actzoo-new
mv -f /etc/slurm/slurm.conf.actzoo-new /etc/slurm/slurm.conf  # atomic for running clients

cat >/etc/slurm/slurmdbd.conf.actzoo-new <<CONF
# Written by actzoo .ci/slurm-up.sh
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=slurm
LogFile=$STATE/log/slurmdbd.log
PidFile=$STATE/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DBPORT
StorageUser=slurm
StoragePass=$DBPASS
StorageLoc=slurm_acct_db
CONF
chown slurm:slurm /etc/slurm/slurmdbd.conf.actzoo-new
chmod 600 /etc/slurm/slurmdbd.conf.actzoo-new
mv -f /etc/slurm/slurmdbd.conf.actzoo-new /etc/slurm/slurmdbd.conf
chown slurm:slurm "$STATE/run"; chmod 777 "$STATE/run"

# ---------------------------------------------------------------- slurm daemons
log "starting slurmdbd"
slurmdbd -D >>"$STATE/log/slurmdbd.stdout" 2>&1 &
echo $! >"$STATE/pids/slurmdbd.pid"
for _ in $(seq 100); do
    grep -q 'slurmdbd version .* started' "$STATE/log/slurmdbd.log" 2>/dev/null && break
    alive slurmdbd || die "slurmdbd exited"
    sleep 0.2
done
# slurmctld registers the cluster itself; adding it first avoids a race.
timeout 20 sacctmgr -i add cluster "$CLUSTER" >/dev/null 2>&1 || true

log "starting slurmctld"
slurmctld -D -i >>"$STATE/log/slurmctld.stdout" 2>&1 &
echo $! >"$STATE/pids/slurmctld.pid"
log "starting slurmd (node $NODE, $CPUS cpus, ${REALMEM} MB)"
slurmd -D -N "$NODE" >>"$STATE/log/slurmd.stdout" 2>&1 &
echo $! >"$STATE/pids/slurmd.pid"

# ---------------------------------------------------------------- wait
deadline=$(( $(date +%s) + TIMEOUT ))
state=""
while :; do
    for n in slurmdbd slurmctld slurmd; do
        alive "$n" || die "$n exited (see $STATE/log)"
    done
    state=$(timeout 10 sinfo -h -N -n "$NODE" -o '%t' 2>/dev/null | head -n1 || true)
    case "$state" in idle|mix|alloc) break ;; esac
    [ "$(date +%s)" -lt "$deadline" ] || die "node $NODE not idle after ${TIMEOUT}s (state '${state:-none}')"
    sleep 0.5
done
log "node $NODE is $state"
until timeout 10 sacct -n -X -S now-1minutes >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "sacct still failing after ${TIMEOUT}s"
    sleep 0.5
done
log "sacct works; SLURM cluster '$CLUSTER' up, partition '$PARTITION' (state in $STATE)"
