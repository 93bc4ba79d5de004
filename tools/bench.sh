#!/bin/bash
# The benchmark suite (`make bench`): five workloads, one line each, then the table between the
# bench markers in doc/performance.md is rewritten with the machine, the commit, the commands and
# the figures.  Figures are medians of BENCH_REPS runs (default 3); this is not a test and
# nothing here passes or fails on speed.
#
#   tools/bench.sh [W1 W2 W3 W4 W5 W6] [--no-doc]
#
# W1  3D bimodal EA, L=32, 64 samples, 2 replicas x 32 temperatures, tempering and measurements
#     every 10 sweeps, Metropolis: picoseconds per spin-flip attempt per core, pinned to each core
#     in turn (the figure is the faster core's; the others are listed).
# W2  the same with Gaussian couplings.
#     W1 and W2 also give the part of the figure spent in the sweep itself (the rest is
#     measurements, tempering and output).
# W3  SK, N=1024, 2 replicas x 32 temperatures from 0.3 to 1.5, Gaussian and +-1 couplings:
#     nanoseconds per attempt.
# W4  3D bimodal EA, L=64, 2 replicas x 8 temperatures, on 1 and 2 ranks: parallel efficiency and
#     the shares of the run in halo waits, measurements and tempering.  The 1-rank reference runs
#     pinned to each core in turn and the faster core's run counts.
# W5  checkpoint write bandwidth: 3D EA, L=64, 2 replicas x 32 temperatures (135 MB of state).
# W6  a campaign of 8 equal tasks (3D bimodal EA, L=8, 64 samples each) on 1 rank and on all
#     cores: the aggregate rate (attempts per second) on P ranks over P times the 1-rank rate.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
PY=/usr/bin/python3
REPS=${BENCH_REPS:-3}
DOC=1
WANT=()
for a in "$@"; do
  case $a in
    --no-doc) DOC=0 ;;
    W[1-6]) WANT+=("$a") ;;
    *) echo "bench.sh: unknown argument '$a' (W1..W6, --no-doc)" >&2; exit 2 ;;
  esac
done
[ ${#WANT[@]} -gt 0 ] || WANT=(W1 W2 W3 W4 W5 W6)
[ -x ./glassy ] || { echo "bench.sh: ./glassy is not built (run make)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/glassy-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROWS="$WORK/rows"
: > "$ROWS"

attr() { # file attribute
  "$PY" -c 'import sys, h5py; v = h5py.File(sys.argv[1], "r").attrs[sys.argv[2]]; print(v.decode() if isinstance(v, bytes) else v)' "$1" "$2"
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
run() { # ranks output options... (with CPU=k set: one rank pinned to cpu k)
  local n=$1 out=$2; shift 2
  if [ -n "${CPU:-}" ]; then
    taskset -c "$CPU" mpiexec --bind-to none -n "$n" ./glassy "$@" -quiet -output "$out" > "$WORK/log" 2>&1 || { cat "$WORK/log" >&2; echo "bench.sh: glassy failed: $*" >&2; exit 1; }
  else
    mpiexec -n "$n" ./glassy "$@" -quiet -output "$out" > "$WORK/log" 2>&1 || { cat "$WORK/log" >&2; echo "bench.sh: glassy failed: $*" >&2; exit 1; }
  fi
}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src include 2>/dev/null || COMMIT="$COMMIT+changes"
row() { # workload figure command
  printf '| %s | %s | %s | %s | `%s` |\n' "$1" "$2" "$COMMIT" "$(date -u +%Y-%m-%d)" "$3" >> "$ROWS"
  printf '%-3s %s\n' "$1" "$2"
}

EA32="-dim 3 -L 32 -samples 64 -replicas 2 -ntemps 32 -tmin 0.5 -tmax 2.0 -update metropolis -pt_interval 10 -measure_interval 10"
for w in "${WANT[@]}"; do
  case $w in
  W1|W2)
    if [ "$w" = W1 ]; then c=bimodal; else c=gaussian; fi
    opts="$EA32 -couplings $c -equilibration_sweeps 20 -measurement_sweeps 30"
    # Pinned to each core in turn: the vCPUs of a VM can differ by a third in speed (mpiexec
    # alone binds rank 0 to core 0), so the figure is the faster core's and the others are named.
    for cpu in $(seq 0 $(($(nproc) - 1))); do
      for r in $(seq "$REPS"); do
        CPU=$cpu run 1 "$WORK/$w.h5" $opts
        echo "$(attr "$WORK/$w.h5" ps_per_spin_flip_attempt_per_core) $(attr "$WORK/$w.h5" seconds_sweep) $(attr "$WORK/$w.h5" wall_seconds)"
      done | awk '{print $1, $1 * $2 / $3}' | sort -g | awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)], c}' c="$cpu"
    done | sort -g > "$WORK/v"
    # the whole run, and the share of it spent in the sweep kernels (with the halo exchange)
    row "$w" "$(awk 'NR == 1 {printf "%.0f ps per attempt, %.0f of them in the sweep (%s kernel), on cpu %d", $1, $2, k, $3} NR > 1 {printf "; cpu %d: %.0f ps", $3, $1}' k="$(attr "$WORK/$w.h5" kernel)" "$WORK/v")" "taskset -c CPU glassy $opts"
    ;;
  W3)
    for c in gaussian bimodal; do
      opts="-model sk -N 1024 -samples 1 -replicas 2 -ntemps 32 -tmin 0.3 -tmax 1.5 -equilibration_sweeps 500 -measurement_sweeps 500 -measure_interval 10 -pt_interval 10 -couplings $c"
      for r in $(seq "$REPS"); do run 1 "$WORK/W3.h5" $opts; attr "$WORK/W3.h5" ns_per_spin_flip_attempt_per_core; done > "$WORK/v"
      row "W3" "$(median < "$WORK/v" | awk '{printf "%.2f ns per attempt, %s (%s kernel)", $1, c, k}' c="$c" k="$(attr "$WORK/W3.h5" kernel)")" "glassy $opts"
    done
    ;;
  W4)
    opts="-dim 3 -L 64 -samples 64 -replicas 2 -ntemps 8 -tmin 0.8 -tmax 2.0 -couplings bimodal -equilibration_sweeps 10 -measurement_sweeps 30 -pt_interval 10 -measure_interval 10"
    # The 1-rank reference runs pinned to each core in turn, and the faster core's median counts
    # (the vCPUs differ; mpiexec alone would put it on core 0).
    for n in 1 2; do
      for r in $(seq "$REPS"); do
        if [ "$n" = 1 ]; then
          for cpu in $(seq 0 $(($(nproc) - 1))); do
            CPU=$cpu run 1 "$WORK/W4-$cpu.h5" $opts
          done
          cp "$(for f in "$WORK"/W4-*.h5; do echo "$(attr "$f" ps_per_spin_flip_attempt_per_core) $f"; done | sort -g | head -1 | cut -d' ' -f2)" "$WORK/W4.h5"
        else
          run "$n" "$WORK/W4.h5" $opts
        fi
        "$PY" - "$WORK/W4.h5" <<'PY'
import sys, h5py
a = h5py.File(sys.argv[1], "r").attrs
w = a["wall_seconds"]
print(a["ps_per_spin_flip_attempt_per_core"], 100 * a["seconds_halo_wait"] / w, 100 * a["seconds_measure"] / w, 100 * a["seconds_tempering"] / w)
PY
      done > "$WORK/w4-$n"
    done
    "$PY" - "$WORK/w4-1" "$WORK/w4-2" > "$WORK/v" <<'PY'
import sys, numpy as np
one, two = (np.atleast_2d(np.loadtxt(f)) for f in sys.argv[1:])
m1, m2 = np.median(one, axis=0), np.median(two, axis=0)
print(f"{m1[0]:.0f} ps on 1 rank, {m2[0]:.0f} on 2: parallel efficiency {100 * m1[0] / m2[0]:.0f}%; "
      f"on 2 ranks halo wait {m2[1]:.1f}%, measurements {m2[2]:.1f}%, tempering {m2[3]:.1f}% of the run")
PY
    row W4 "$(cat "$WORK/v")" "taskset -c CPU glassy $opts (1 rank, the faster core); mpiexec -n 2 glassy $opts"
    ;;
  W5)
    opts="-dim 3 -L 64 -samples 64 -replicas 2 -ntemps 32 -tmin 0.8 -tmax 2.0 -couplings bimodal -equilibration_sweeps 0 -measurement_sweeps 40 -measure_interval 4 -pt_interval 4 -checkpoint $WORK/ck.h5 -checkpoint_interval 1"
    for r in $(seq "$REPS"); do
      rm -f "$WORK"/ck.h5*
      run 1 "$WORK/W5.h5" $opts
      echo "$(attr "$WORK/W5.h5" checkpoint_MB_per_s) $(attr "$WORK/W5.h5" checkpoints_written) $(attr "$WORK/W5.h5" checkpoint_bytes)"
    done > "$WORK/v"
    row W5 "$(awk '{print $1}' "$WORK/v" | median | awk '{printf "%.0f MB/s", $1}') ($(awk 'NR == 1 {printf "%d checkpoints of %.0f MB per run", $2, $3 / $2 / 1e6}' "$WORK/v"), to $(df -P /tmp | awk 'NR == 2 {print $1}'))" "glassy ${opts//$WORK/\/tmp}"
    ;;
  W6)
    P=$(nproc)
    printf -- '-dim 3\n-couplings bimodal\n-sizes 8\n-samples 512\n-batch 64\n-ntemps 16\n-tmin 0.9\n-tmax 2.0\n-equilibration_sweeps 2000\n-measurement_sweeps 2000\n-output_dir %s\n' "$WORK/w6" > "$WORK/w6.opts"
    for n in 1 "$P"; do
      for r in $(seq "$REPS"); do
        rm -rf "$WORK/w6"
        mpiexec -n "$n" ./glassy -campaign "$WORK/w6.opts" -quiet > "$WORK/log" 2>&1 || { cat "$WORK/log" >&2; exit 1; }
        # "glassy: A spin-flip attempts in T s on P ranks": the aggregate rate A/T
        awk '/spin-flip attempts in/ {print $2 / $6}' "$WORK/log"
      done | median > "$WORK/w6-$n"
    done
    row W6 "$(awk '{printf "%.3g attempts/s on 1 rank, %.3g on %d: %.0f%% of %d times the 1-rank rate", a, $1, p, 100 * $1 / (p * a), p}' a="$(cat "$WORK/w6-1")" p="$P" "$WORK/w6-$P")" "mpiexec -n 1|$P glassy -campaign w6.opts (L=8, 8 tasks of 64 samples, 16 temperatures, 4000 sweeps)"
    ;;
  esac
done

if [ "$DOC" = 1 ]; then
  # Rows of the workloads run now replace their old rows; the others stay as they were.
  cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
  "$PY" - doc/performance.md "$ROWS" "$cpu, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)" "$REPS" <<'PY'
import os, sys
path, rows, machine, reps = sys.argv[1], open(sys.argv[2]).read().splitlines(), sys.argv[3], sys.argv[4]
text = open(path).read()
begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
if begin not in text or end not in text:
    sys.exit(f"{path}: the markers {begin} and {end} are missing")
head, rest = text.split(begin, 1)
old, tail = rest.split(end, 1)
new = {r.split("|")[1].strip() for r in rows}
kept = [l for l in old.splitlines() if l.startswith("| W") and l.split("|")[1].strip() not in new]
table = sorted(kept + rows, key=lambda l: l.split("|")[1].strip())
out = [f"Machine: {machine}. Each figure is the median of {reps} runs.", "",
       "| workload | figure | commit | date | command |", "|---|---|---|---|---|"] + table
tmp = path + ".tmp"
open(tmp, "w").write(head + begin + "\n" + "\n".join(out) + "\n" + end + tail)
os.replace(tmp, path)
PY
  echo "bench.sh: table updated in doc/performance.md"
fi
