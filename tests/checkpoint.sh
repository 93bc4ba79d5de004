#!/bin/bash
# Checkpoints: a checkpoint written by 4 ranks restarts on 1, 2 and 8 ranks with the result of an
# uninterrupted run; damaged, foreign and unwritable checkpoints give a clear message and the
# documented fallback; a full disk fails cleanly and the previous generation still restarts.
. "${top_srcdir:-.}/tests/common.sh"
RUN="-dim 3 -L 8 -samples 64 -ntemps 4 -tmin 1.0 -tmax 2.0 -equilibration_sweeps 4000 -measurement_sweeps 4000 -measure_interval 5 -pt_interval 5 -seed 99 -quiet"
run_glassy 2 $RUN -output "$WORK/reference.h5" > "$WORK/log" 2>&1 || { cat "$WORK/log"; fail "reference run"; }

same_as_reference() { same_results "$WORK/reference.h5" "$1" "$2, against the uninterrupted run"; } # file what

# Make a checkpoint pair on 4 ranks: stop the run with SIGUSR1 once it has written two generations.
make_checkpoint() { # dir
  mkdir -p "$1"
  run_glassy 4 $RUN -checkpoint "$1/ck.h5" -checkpoint_interval 0.05 -output "$1/unused.h5" > "$1/log" 2>&1 &
  local pid=$! i=0
  while [ ! -e "$1/ck.h5.prev" ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
  pkill -USR1 -f -- "^$GLASSY .*-output $1/unused.h5"
  local rc=0; wait $pid || rc=$?
  [ $rc = 75 ] || { cat "$1/log"; fail "the run to checkpoint exited with $rc, not 75"; }
  [ -e "$1/ck.h5" ] && [ -e "$1/ck.h5.prev" ] || fail "no two checkpoint generations in $1"
}

make_checkpoint "$WORK/a"
for n in 1 2 8; do
  rm -rf "$WORK/r$n"; cp -r "$WORK/a" "$WORK/r$n"
  run_glassy $n $RUN -checkpoint "$WORK/r$n/ck.h5" -restart -output "$WORK/r$n/out.h5" > "$WORK/log" 2>&1 || { cat "$WORK/log"; fail "restart on $n ranks"; }
  grep -q "continuing from $WORK/r$n/ck.h5 at sweep" "$WORK/log" || { cat "$WORK/log"; fail "restart on $n ranks did not say where it continued from"; }
  same_as_reference "$WORK/r$n/out.h5" "4-rank checkpoint restarted on $n ranks"
done
echo "a checkpoint written by 4 ranks restarts on 1, 2 and 8 ranks with identical results"

# -restart without any checkpoint starts fresh and says so.
run_glassy 2 $RUN -checkpoint "$WORK/none/ck.h5" -restart -output "$WORK/fresh.h5" > "$WORK/log" 2>&1 && false || true
mkdir -p "$WORK/none"
run_glassy 2 $RUN -checkpoint "$WORK/none/ck.h5" -restart -output "$WORK/fresh.h5" > "$WORK/log" 2>&1 || { cat "$WORK/log"; fail "fresh -restart"; }
grep -q "no checkpoint at $WORK/none/ck.h5; starting a fresh run" "$WORK/log" || { cat "$WORK/log"; fail "fresh start not reported"; }
same_as_reference "$WORK/fresh.h5" "fresh -restart"

# Damaged newest generation: reported, and the previous one is used (same final result).
damaged() { # name how-to-damage expected-text
  local d="$WORK/$1"
  rm -rf "$d"; cp -r "$WORK/a" "$d"
  eval "$2"
  run_glassy 2 $RUN -checkpoint "$d/ck.h5" -restart -output "$d/out.h5" > "$d/log" 2>&1 || { cat "$d/log"; fail "$1: restart failed instead of using the previous generation"; }
  grep -q "warning: checkpoint $d/ck.h5 .*$3.*not used" "$d/log" || { cat "$d/log"; fail "$1: the damage was not reported"; }
  grep -q "continuing from $d/ck.h5.prev" "$d/log" || { cat "$d/log"; fail "$1: did not continue from the previous generation"; }
  same_as_reference "$d/out.h5" "$1"
  echo "$1: $(grep warning "$d/log")"
}
damaged truncated 'truncate -s $(( $(stat -c %s "$d/ck.h5") / 2 )) "$d/ck.h5"' "cannot be opened"
damaged flipped 'printf "\xff\xff\xff\xff\xff\xff\xff\xff" | dd of="$d/ck.h5" bs=1 seek=$(( $(stat -c %s "$d/ck.h5") / 2 )) conv=notrunc 2> /dev/null' "fails its checksum"
damaged empty ': > "$d/ck.h5"' "cannot be opened"

# Both generations damaged: a clear error, non-zero exit, nothing written.
d="$WORK/both"; rm -rf "$d"; cp -r "$WORK/a" "$d"
: > "$d/ck.h5"; truncate -s 1000 "$d/ck.h5.prev"
if run_glassy 2 $RUN -checkpoint "$d/ck.h5" -restart -output "$d/out.h5" > "$d/log" 2>&1; then fail "restarted from two damaged generations"; fi
grep -q "glassy: error: -restart: no valid checkpoint" "$d/log" || { cat "$d/log"; fail "no error for two damaged generations"; }
[ ! -e "$d/out.h5" ] || fail "output written after a failed restart"
echo "both damaged: $(grep 'glassy: error' "$d/log")"

# A checkpoint of another lattice size or coupling distribution is refused.
for other in "-L 6" "-couplings gaussian" "-seed 100"; do
  d="$WORK/foreign"; rm -rf "$d"; cp -r "$WORK/a" "$d"
  if run_glassy 2 $RUN $other -checkpoint "$d/ck.h5" -restart -output "$d/out.h5" > "$d/log" 2>&1; then fail "restarted with $other from a foreign checkpoint"; fi
  grep -q "glassy: error: -checkpoint $d/ck.h5: the checkpoint has .* but this run has .*refusing" "$d/log" || { cat "$d/log"; fail "no clear error for a foreign checkpoint ($other)"; }
  cmp -s "$d/ck.h5" "$WORK/a/ck.h5" || fail "a refused checkpoint was modified"
  echo "foreign ($other): $(grep 'glassy: error' "$d/log")"
done

# A checkpoint of a glassy from before streams=2 (its fingerprint has no streams= field) is refused
# with a message that says why; one that also differs in another option names that option.
d="$WORK/old-streams"; rm -rf "$d"; cp -r "$WORK/a" "$d"
"$PYTHON3" - "$d/ck.h5" "$d/ck.h5.prev" <<'PY' || fail "could not edit the fingerprint"
import sys, h5py, numpy
for path in sys.argv[1:]:
    with h5py.File(path, "r+") as f:
        fp = f.attrs["fingerprint"]
        fp = fp.decode() if isinstance(fp, bytes) else str(fp)
        assert fp.startswith("streams=2;"), fp
        old = fp[len("streams=2;"):].encode()
        del f.attrs["fingerprint"]
        f.attrs.create("fingerprint", numpy.array(old, dtype="S%d" % (len(old) + 1)))  # a fixed-length string, as glassy writes
PY
if run_glassy 2 $RUN -checkpoint "$d/ck.h5" -restart -output "$d/out.h5" > "$d/log" 2>&1; then fail "restarted from a checkpoint of an earlier random stream"; fi
grep -q "glassy: error: -checkpoint $d/ck.h5: it was written by an earlier glassy, whose spin updates drew other random numbers (this glassy has streams=2); refusing" "$d/log" || { cat "$d/log"; fail "no clear error for a checkpoint of an earlier random stream"; }
[ ! -e "$d/out.h5" ] || fail "output written after refusing an earlier stream's checkpoint"
echo "earlier streams: $(grep 'glassy: error' "$d/log")"
if run_glassy 2 $RUN -seed 100 -checkpoint "$d/ck.h5" -restart -output "$d/out.h5" > "$d/log" 2>&1; then fail "restarted with -seed 100 from a checkpoint of an earlier stream"; fi
grep -q "the checkpoint has seed=99 but this run has seed=100" "$d/log" || { cat "$d/log"; fail "an earlier stream's checkpoint with another seed: the seed is not named"; }

# An unwritable checkpoint path is an error before any work.
if run_glassy 2 $RUN -checkpoint /nonexistent-dir/ck.h5 -output "$WORK/x.h5" > "$WORK/log" 2>&1; then fail "accepted an unwritable -checkpoint"; fi
grep -q "glassy: error: -checkpoint /nonexistent-dir/ck.h5: cannot be written" "$WORK/log" || { cat "$WORK/log"; fail "unwritable checkpoint message"; }

# Disk full: checkpoints on a small filesystem.  The write that does not fit fails with a clear
# error and a non-zero exit; the generation before it still restarts to the right result.
full="$WORK/full"; mkdir -p "$full"
# Room for two generations and a half: the third checkpoint (beside the two kept) cannot fit.
size_k=$(( $(stat -c %s "$WORK/a/ck.h5") * 5 / 2 / 1024 ))
if mount -t tmpfs -o size=${size_k}k tmpfs "$full" 2> /dev/null; then
  trap 'umount "$full" 2> /dev/null; rm -rf "$WORK"' EXIT
  rc=0
  run_glassy 2 $RUN -checkpoint "$full/ck.h5" -checkpoint_interval 0.05 -output "$WORK/full-out.h5" > "$WORK/log" 2>&1 || rc=$?
  [ $rc != 0 ] || fail "a run whose checkpoints cannot fit on the disk succeeded"
  grep -q "glassy: error: -checkpoint $full/ck.h5: writing the checkpoint failed.*the previous checkpoint is unchanged" "$WORK/log" || { cat "$WORK/log"; fail "no clear disk-full error"; }
  [ ! -e "$full/ck.h5.tmp" ] || fail "a partial checkpoint was left behind"
  mkdir -p "$WORK/rescue"; cp "$full"/ck.h5* "$WORK/rescue/"
  umount "$full"
  run_glassy 2 $RUN -checkpoint "$WORK/rescue/ck.h5" -restart -output "$WORK/rescue/out.h5" > "$WORK/log2" 2>&1 || { cat "$WORK/log2"; fail "restart after a full disk"; }
  same_as_reference "$WORK/rescue/out.h5" "restart after a full disk"
  echo "disk full: $(grep 'glassy: error' "$WORK/log"); restarted from $(grep -o 'continuing from .*' "$WORK/log2")"
else
  echo "disk full: cannot mount a tmpfs here (not root?); this part was not run" >&2
  [ "$(id -u)" != 0 ] || fail "running as root but a tmpfs could not be mounted"
fi
echo "checkpoint checks passed"
