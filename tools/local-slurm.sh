#!/bin/bash
# A single-node SLURM on this machine, for glassy's SLURM tests: slurmctld and slurmd from
# Debian's packages on localhost, configuration and state under $GLASSY_SLURM_DIR, no systemd.
#
#   tools/local-slurm.sh start   install what is missing, start the daemons, wait for the node
#   tools/local-slurm.sh stop    cancel the jobs, stop the daemons started here (by their PIDs)
#   tools/local-slurm.sh env     print the environment a client needs (eval "$(... env)")
#
# Authentication is auth/none (a test cluster on one machine).  A requeued job becomes eligible
# cred_expire + 1 = 11 s after it is requeued; the scheduler runs every 2 s.
set -euo pipefail
DIR=${GLASSY_SLURM_DIR:-/tmp/glassy-slurm}
CONF=$DIR/slurm.conf
export SLURM_CONF=$CONF

start() {
  local missing=()
  for p in slurmctld slurmd slurm-client; do
    dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "local-slurm: installing ${missing[*]} needs root" >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
  fi
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/tmp"
  cat > "$CONF" <<CONF
ClusterName=glassytest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
AuthInfo=cred_expire=10
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_interval=2,bf_interval=2
JobRequeue=1
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
TmpFS=$DIR/tmp
SlurmctldPidFile=$DIR/slurmctld.daemon.pid
SlurmdPidFile=$DIR/slurmd.daemon.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
MinJobAge=600
KillWait=10
InactiveLimit=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  running slurmctld || { setsid slurmctld -D -i -f "$CONF" >> "$DIR/log/slurmctld.out" 2>&1 < /dev/null & echo $! > "$DIR/slurmctld.pid"; }
  for _ in $(seq 100); do scontrol ping 2> /dev/null | grep -q UP && break; sleep 0.1; done
  scontrol ping | grep -q UP || { tail "$DIR/log/slurmctld.log" >&2; echo "local-slurm: slurmctld did not start" >&2; exit 1; }
  running slurmd || { setsid slurmd -D -N localhost -f "$CONF" >> "$DIR/log/slurmd.out" 2>&1 < /dev/null & echo $! > "$DIR/slurmd.pid"; }
  for _ in $(seq 300); do
    case $(sinfo -h -n localhost -o %T 2> /dev/null) in
      idle | mixed | allocated) echo "local-slurm: node localhost is up (config $CONF)"; return 0 ;;
      down* | drain*) scontrol update NodeName=localhost State=RESUME 2> /dev/null || true ;;
    esac
    sleep 0.2
  done
  tail "$DIR/log/slurmd.log" >&2
  echo "local-slurm: the node did not become idle" >&2
  exit 1
}

# running NAME: the daemon recorded in $DIR/NAME.pid is alive.
running() {
  local pid
  [ -s "$DIR/$1.pid" ] || return 1
  pid=$(cat "$DIR/$1.pid")
  [ "$(cat /proc/"$pid"/comm 2> /dev/null)" = "$1" ]
}

stop() {
  if running slurmctld; then
    scancel --full $(squeue -h -o %A 2> /dev/null) 2> /dev/null || true
    for _ in $(seq 100); do [ -z "$(squeue -h 2> /dev/null)" ] && break; sleep 0.2; done
  fi
  for d in slurmd slurmctld; do
    if running $d; then
      kill -TERM "$(cat "$DIR/$d.pid")"
      for _ in $(seq 50); do running $d || break; sleep 0.1; done
      running $d && kill -KILL "$(cat "$DIR/$d.pid")"
    fi
    rm -f "$DIR/$d.pid"
  done
  echo "local-slurm: stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
