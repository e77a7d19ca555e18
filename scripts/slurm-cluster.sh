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

if [ "$cmd" = stop ]; then
  stop_pid "$D/slurmd.pid"
  stop_pid "$D/slurmctld.pid"
  stop_pid "$D/munged.pid"
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
