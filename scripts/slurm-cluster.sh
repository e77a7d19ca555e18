#!/usr/bin/env bash
# A real single-node Slurm cluster in a scratch folder, for Crew's Slurm tests.
#   slurm-cluster.sh start DIR   starts munged, slurmctld and slurmd; prints the SLURM_CONF path
#   slurm-cluster.sh stop DIR    stops them by the pids they wrote, and nothing else
# Everything lives in DIR: the config (used through SLURM_CONF, so /etc/slurm is untouched),
# the munge key and socket, state, logs and pid files. Needs root and Debian's slurm-wlm and munge.
set -euo pipefail
cmd=${1:?usage: slurm-cluster.sh start|stop DIR}
D=${2:?usage: slurm-cluster.sh start|stop DIR}

stop_pid() {
  local f=$1
  [ -f "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

# A job step's processes outlive slurmd: every job is cancelled while slurmctld still runs,
# and what is left of a step (a master killed before its scancel) is ended by its slurmstepd.
end_jobs() {
  [ -f "$D/slurm.conf" ] || return 0
  export SLURM_CONF="$D/slurm.conf"
  local jobs
  jobs=$(squeue -h -o %i 2>/dev/null || true)
  [ -z "$jobs" ] && return 0
  # shellcheck disable=SC2086
  scancel $jobs 2>/dev/null || true
  for _ in $(seq 50); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && return 0; sleep 0.2; done
}

kill_tree() {
  local pid=$1 child
  for child in $(ps -o pid= --ppid "$pid"); do kill_tree "$child"; done
  kill -9 "$pid" 2>/dev/null || true
}

stray_steps() {
  local p
  for p in $(pgrep -x slurmstepd || true); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "SLURM_CONF=$D/slurm.conf" && echo "$p"
  done
}

if [ "$cmd" = stop ]; then
  end_jobs
  stop_pid "$D/slurmd.pid"
  stop_pid "$D/slurmctld.pid"
  stop_pid "$D/munged.pid"
  for p in $(stray_steps); do kill_tree "$p"; done
  exit 0
fi

[ "$cmd" = start ] || { echo "slurm-cluster.sh: unknown command $cmd" >&2; exit 2; }
for p in slurmctld slurmd munged sbatch; do
  command -v $p >/dev/null || { echo "slurm-cluster.sh: $p is not installed (apt-get install slurm-wlm munge)" >&2; exit 3; }
done
H=$(hostname -s)
mkdir -p "$D/state" "$D/spool" "$D/munge"
# munged runs as its own user and must reach its key and socket inside DIR.
chmod 755 "$D"
chown munge:munge "$D/munge"
chmod 755 "$D/munge"
[ -f "$D/munge/munge.key" ] || { dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none; }
chown munge:munge "$D/munge/munge.key"
chmod 400 "$D/munge/munge.key"
su -s /bin/sh munge -c "munged --key-file=$D/munge/munge.key --socket=$D/munge/munge.socket --pid-file=$D/munge/munged.pid --log-file=$D/munge/munged.log --seed-file=$D/munge/munged.seed"
cp "$D/munge/munged.pid" "$D/munged.pid"
cat > "$D/slurm.conf" <<CONF
ClusterName=crewtest
SlurmctldHost=$H
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SlurmctldPort=$((17000 + RANDOM % 1000))
SlurmdPort=$((18000 + RANDOM % 1000))
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$H CPUs=$(nproc) RealMemory=8000 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
CONF
export SLURM_CONF="$D/slurm.conf"
slurmctld
slurmd
for _ in $(seq 100); do
  sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' && { echo "$SLURM_CONF"; exit 0; }
  sleep 0.2
done
echo "slurm-cluster.sh: the node did not come up; see $D/slurmctld.log and $D/slurmd.log" >&2
exit 1
