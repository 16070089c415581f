#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, from the system's packages (Debian: slurm-wlm,
# munge), for the Slurm sweep test (crates/tprog/tests/cli_slurm.rs) and for trying
# `tprog sweep run --backend slurm` locally. Needs root.
#
#   scripts/slurm-single-node.sh up     # install if needed, configure, start munged, slurmctld,
#                                       # slurmd; wait until sinfo shows the node idle
#   scripts/slurm-single-node.sh down   # stop every daemon `up` started, remove its state and
#                                       # the slurm.conf it wrote
#
# Configuration: this host as controller and only node (all its CPUs, 90 % of its memory), one
# partition `tprog`, proctrack/linuxproc and task/none (no cgroups, so it runs in containers),
# select/cons_tres by CPU, no accounting database (sacct is then unavailable; squeue works).
# State and logs: $TPROG_SLURM_STATE (default /var/tmp/tprog-slurm).
set -euo pipefail

state=${TPROG_SLURM_STATE:-/var/tmp/tprog-slurm}
conf=/etc/slurm/slurm.conf

log() { echo "slurm-single-node: $*" >&2; }

# Kills the process whose pid is in file $1, if it is still the daemon named $2; waits for it.
stop_pid() {
    local file=$1 name=$2 pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    if [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            [ -e "/proc/$pid" ] || break
            sleep 0.1
        done
        if [ -e "/proc/$pid" ]; then
            kill -9 "$pid" 2>/dev/null || true
        fi
        log "stopped $name ($pid)"
    fi
    rm -f "$file"
}

down() {
    stop_pid "$state/slurmd.pid" slurmd
    stop_pid "$state/slurmctld.pid" slurmctld
    stop_pid "$state/munged.pid" munged
    if [ -f "$state/wrote-conf" ]; then
        rm -f "$conf"
        if [ -f "$state/slurm.conf.before" ]; then
            mv "$state/slurm.conf.before" "$conf"
        fi
    fi
    rm -rf "$state"
    log "down"
}

up() {
    if [ "$(id -u)" != 0 ]; then
        log "needs root (it installs packages and starts daemons)"
        exit 1
    fi
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
        || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
        log "installing slurm-wlm and munge"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
    fi
    if [ -d "$state" ]; then
        log "$state exists: taking the earlier cluster down first"
        down
    fi
    mkdir -p "$state/ctld" "$state/spool" "$state/log"

    # munge: reuse a running one, else start ours (its key comes with the package).
    if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
        if [ ! -s /etc/munge/munge.key ]; then
            mungekey --create >/dev/null 2>&1 || /usr/sbin/create-munge-key -f >/dev/null
        fi
        chown munge:munge /etc/munge/munge.key
        chmod 400 /etc/munge/munge.key
        mkdir -p /run/munge /var/lib/munge /var/log/munge
        chown munge:munge /run/munge /var/lib/munge /var/log/munge
        chmod 755 /run/munge
        runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/tprog-munged.pid
        for _ in $(seq 50); do
            [ -s /run/munge/tprog-munged.pid ] && break
            sleep 0.1
        done
        cp /run/munge/tprog-munged.pid "$state/munged.pid"
        log "started munged ($(cat "$state/munged.pid"))"
    fi

    local host cpus mem
    host=$(hostname -s)
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
    if [ -f "$conf" ]; then
        cp "$conf" "$state/slurm.conf.before"
    fi
    mkdir -p "$(dirname "$conf")"
    cat >"$conf" <<EOF
# Written by tprog's scripts/slurm-single-node.sh; removed by its \`down\`.
ClusterName=tprog
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
MaxArraySize=10001
MinJobAge=300
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=tprog Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    touch "$state/wrote-conf"

    slurmctld -f "$conf"
    slurmd -f "$conf"
    for _ in $(seq 150); do
        if sinfo -h -N -o '%T' 2>/dev/null | grep -qx 'idle'; then
            log "up: $host, $cpus CPUs, ${mem} MB, partition tprog"
            return 0
        fi
        sleep 0.2
    done
    log "the node did not become idle in 30 s; logs in $state/log:"
    tail -n 20 "$state"/log/*.log >&2 || true
    sinfo >&2 || true
    exit 1
}

case ${1:-} in
    up) up ;;
    down) down ;;
    *)
        echo "usage: $0 up|down" >&2
        exit 2
        ;;
esac
