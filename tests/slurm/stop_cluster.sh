#!/usr/bin/env bash
# Stop the test SLURM of tests/slurm/start_cluster.sh: cancel its jobs, then stop exactly the daemons
# that start_cluster.sh started (by their pid files, checking each pid's process name). Daemons it did
# not start are left alone; then, with no controller running, its configuration files (marked ours)
# are removed. Always exits 0, also when nothing runs.
#
#   bash tests/slurm/stop_cluster.sh                  # every daemon start_cluster.sh started
#   bash tests/slurm/stop_cluster.sh slurmd slurmctld # only these (of those it started)
set -uo pipefail

STATE_DIR=/run/epibench-slurm
MARK="# epibench-test-cluster (written by tests/slurm/start_cluster.sh; safe to overwrite)"

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then exec sudo -n bash "$0" "$@"; fi
  echo "stop_cluster: not root: nothing stopped"
  exit 0
fi
# Our configuration goes with the controller: while a slurm.conf names a controller that is down,
# `scontrol show config` waits ~9 s for it, and the Snakemake SLURM plugin runs it when imported, so
# every later `snakemake` on this machine would start 9 s late (start_cluster.sh writes it again).
remove_our_config() {
  pgrep -x slurmctld >/dev/null && return
  for f in /etc/slurm/slurm.conf /etc/slurm/gres.conf; do
    if grep -qxF "$MARK" "$f" 2>/dev/null; then rm -f "$f" && echo "stop_cluster: removed $f"; fi
  done
}
[ -s "$STATE_DIR/started" ] || { echo "stop_cluster: nothing started by start_cluster.sh is recorded"; remove_our_config; exit 0; }

pidfile() {
  case "$1" in
    slurmctld) echo /run/slurmctld.pid ;;
    slurmd) echo /run/slurmd.pid ;;
    munged) echo /run/munge/munged.pid ;;
  esac
}

# jobs of the test cluster (ours: the configuration carries our mark) would outlive slurmd otherwise
if grep -qxF "$MARK" /etc/slurm/slurm.conf 2>/dev/null && grep -qx slurmctld "$STATE_DIR/started" \
  && [[ " ${*:-slurmctld} " == *" slurmctld "* ]]; then
  jobs=$(timeout 10 squeue -h -t PENDING,RUNNING,CONFIGURING,COMPLETING -o %i 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    echo "stop_cluster: cancelling jobs $jobs"
    # shellcheck disable=SC2086
    timeout 10 scancel $jobs 2>/dev/null || true
    sleep 2
  fi
fi

stopped=()
wanted=" ${*:-slurmd slurmctld munged} "
for d in slurmd slurmctld munged; do  # compute node first, munge last
  [[ "$wanted" == *" $d "* ]] || continue
  grep -qx "$d" "$STATE_DIR/started" || continue
  f=$(pidfile "$d")
  pid=$(cat "$f" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$d" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    stopped+=("$d (pid $pid)")
  fi
  sed -i "/^$d\$/d" "$STATE_DIR/started"
done
if [ ${#stopped[@]} -gt 0 ]; then echo "stop_cluster: stopped ${stopped[*]}"; else echo "stop_cluster: no daemon of ours was running"; fi
remove_our_config
exit 0
