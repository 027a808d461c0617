#!/usr/bin/env bash
# Start a throwaway single-node SLURM on this machine for tests/test_slurm.py: one node that is
# both controller and compute node, partitions `cpu` (default) and `gpu`, the node advertising
# Gres=gpu:1 backed by a stand-in device file (no real GPU: jobs only get CUDA_VISIBLE_DEVICES).
#
#   sudo bash tests/slurm/start_cluster.sh     # idempotent: reuses daemons that are already up
#   sudo bash tests/slurm/stop_cluster.sh      # stops only the daemons this script started
#
# Debian/Ubuntu (apt-get), as root (or passwordless sudo); no systemd needed. It installs the
# packages slurmctld slurmd slurm-client munge when missing, and writes /etc/slurm/slurm.conf and
# gres.conf marked as ours; an existing slurm.conf that is not ours is never touched (exit 3).
#
# Exit status: 0 the cluster is up (both partitions idle); 2 SLURM cannot be installed here (not root,
# no sudo, or no apt-get); 3 a slurm.conf that is not ours exists; 1 anything else (the daemons' logs
# are printed).
set -euo pipefail

MARK="# epibench-test-cluster (written by tests/slurm/start_cluster.sh; safe to overwrite)"
STATE_DIR=/run/epibench-slurm          # which daemons this script started (read by stop_cluster.sh)
CONF_DIR=/etc/slurm
LOG_DIR=/var/log/slurm
GPU_DEVICE=$STATE_DIR/nvidia0          # the stand-in GPU device file
WAIT_S=${EPIBENCH_SLURM_WAIT_S:-90}
PACKAGES=(slurmctld slurmd slurm-client munge)

say() { echo "start_cluster: $*"; }
die() { local code=$1; shift; echo "start_cluster: $*" >&2; exit "$code"; }

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n --preserve-env=EPIBENCH_SLURM_WAIT_S bash "$0" "$@"
  fi
  die 2 "needs root (or passwordless sudo) to install and start SLURM; run: sudo bash $0"
fi

# --- packages ---------------------------------------------------------------------------------
missing=()
for cmd in slurmctld slurmd sinfo sbatch squeue scontrol munged munge; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die 2 "missing ${missing[*]} and no apt-get: install SLURM (${PACKAGES[*]}) by hand"
  say "installing ${PACKAGES[*]} with apt-get (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  # no service starts from package scripts (no init system here; we start the daemons ourselves)
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; own_policy=1; fi
  ok=1
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null; } || ok=0
  [ "$own_policy" = 1 ] && rm -f "$policy"
  [ "$ok" = 1 ] || die 2 "apt-get install ${PACKAGES[*]} failed"
fi

# --- configuration ------------------------------------------------------------------------------
for f in "$CONF_DIR/slurm.conf" "$CONF_DIR/gres.conf"; do
  if [ -e "$f" ] && ! grep -qxF "$MARK" "$f"; then
    die 3 "$f exists and was not written by this script: refusing to replace a real SLURM configuration"
  fi
done

HOST=$(hostname -s)
CPUS=$(nproc)
mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
margin=$(( mem_mb / 10 > 512 ? mem_mb / 10 : 512 ))   # 10 %, at least 512 MB, for the OS and slurmd
REAL_MEMORY=$(( mem_mb - margin ))

mkdir -p "$CONF_DIR" "$STATE_DIR" "$LOG_DIR" /var/spool/slurmd /var/spool/slurmctld
# the stand-in for /dev/nvidia0: gres/gpu wants a character device; a link to /dev/null is one
# (and needs no mknod rights in a container)
[ -L "$GPU_DEVICE" ] || { rm -f "$GPU_DEVICE"; ln -s /dev/null "$GPU_DEVICE"; }

new_conf=$(mktemp)
cat >"$new_conf" <<EOF
$MARK
ClusterName=epibench-test
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
JobAcctGatherType=jobacct_gather/none
# no slurmdbd: sacct has nothing, so clients query job states with squeue ...
AccountingStorageType=accounting_storage/none
# ... which sees finished jobs for MinJobAge seconds (and tests read scontrol show job)
MinJobAge=3600
SchedulerParameters=sched_min_interval=0
GresTypes=gpu
# a job that names no memory gets 1 GB per CPU, not the whole node
DefMemPerCPU=1000
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$REAL_MEMORY Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$HOST MaxTime=INFINITE State=UP
EOF
new_gres=$(mktemp)
printf '%s\nNodeName=%s Name=gpu File=%s\n' "$MARK" "$HOST" "$GPU_DEVICE" >"$new_gres"

conf_changed=0
if ! cmp -s "$new_conf" "$CONF_DIR/slurm.conf" || ! cmp -s "$new_gres" "$CONF_DIR/gres.conf"; then
  conf_changed=1
  install -m 0644 "$new_conf" "$CONF_DIR/slurm.conf"
  install -m 0644 "$new_gres" "$CONF_DIR/gres.conf"
fi
rm -f "$new_conf" "$new_gres"

# --- daemons ------------------------------------------------------------------------------------
alive() {  # alive PIDFILE NAME: the pid file names a live process called NAME
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]
}
record() {
  touch "$STATE_DIR/started"
  grep -qx "$1" "$STATE_DIR/started" || echo "$1" >>"$STATE_DIR/started"
  names+=("$1")
}
started=()  # "NAME (pid PID)" of each daemon this call started
names=()    # their names, for `stop_cluster.sh NAME...`

# munge: a key, its runtime dirs, then munged as the munge user
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  if command -v mungekey >/dev/null 2>&1; then mungekey --create --keyfile=/etc/munge/munge.key; else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- munged </dev/null >>"$LOG_DIR/munged.out" 2>&1
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || die 1 "munged does not answer (see /var/log/munge/munged.log)"
  record munged
  started+=("munged (pid $(cat /run/munge/munged.pid 2>/dev/null || echo '?'))")
fi

# a running daemon of ours keeps going unless the configuration changed under it
if [ "$conf_changed" = 1 ]; then
  for d in slurmd slurmctld; do
    if alive "/run/$d.pid" "$d"; then
      say "configuration changed: restarting $d"
      kill "$(cat "/run/$d.pid")"
      for _ in $(seq 100); do alive "/run/$d.pid" "$d" || break; sleep 0.1; done
    fi
  done
fi
if ! alive /run/slurmctld.pid slurmctld; then
  # -c: forget jobs and node states of an earlier test cluster
  slurmctld -c </dev/null >>"$LOG_DIR/slurmctld.out" 2>&1
  for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q "is UP" && break; sleep 0.2; done
  alive /run/slurmctld.pid slurmctld || { tail -n 30 "$LOG_DIR/slurmctld.log" >&2 || true; die 1 "slurmctld did not start"; }
  record slurmctld
  started+=("slurmctld (pid $(cat /run/slurmctld.pid))")
fi
if ! alive /run/slurmd.pid slurmd; then
  slurmd </dev/null >>"$LOG_DIR/slurmd.out" 2>&1
  for _ in $(seq 50); do alive /run/slurmd.pid slurmd && break; sleep 0.1; done
  alive /run/slurmd.pid slurmd || { tail -n 30 "$LOG_DIR/slurmd.log" >&2 || true; die 1 "slurmd did not start"; }
  record slurmd
  started+=("slurmd (pid $(cat /run/slurmd.pid))")
fi

# --- wait until both partitions are idle ----------------------------------------------------------
deadline=$(( SECONDS + WAIT_S ))
while :; do
  states=$(sinfo -h -o '%P %t' 2>/dev/null | sort -u | tr '\n' ' ')
  if echo "$states" | grep -Eq '(^| )cpu\*? (idle|mix|alloc) ' && echo "$states" | grep -Eq '(^| )gpu (idle|mix|alloc) '; then
    break
  fi
  case "$states" in  # a node left down/drained by an earlier run: tell slurmctld it is back
    *down*|*drain*) scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  if [ "$SECONDS" -ge "$deadline" ]; then
    {
      echo "start_cluster: partitions not idle after ${WAIT_S}s; sinfo: ${states:-<no answer>}"
      sinfo -R 2>&1 || true
      echo "--- $LOG_DIR/slurmctld.log"; tail -n 30 "$LOG_DIR/slurmctld.log" 2>&1 || true
      echo "--- $LOG_DIR/slurmd.log"; tail -n 30 "$LOG_DIR/slurmd.log" 2>&1 || true
    } >&2
    exit 1
  fi
  sleep 1
done

if [ ${#started[@]} -gt 0 ]; then say "started ${started[*]}"; else say "already running (nothing started)"; fi
echo "started-daemons: ${names[*]}"   # read by tests/test_slurm.py: it stops just these
say "node $HOST: CPUs=$CPUS RealMemory=${REAL_MEMORY}MB Gres=gpu:1 (stand-in $GPU_DEVICE)"
sinfo -o '%P %a %D %t %c %m %G'
