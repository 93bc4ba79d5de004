#!/usr/bin/python3
"""Compare glassy's Monte Carlo averages with exact enumeration.

usage: check_exact.py RESULTS.h5 EXACT.txt [--skip NAME,...] [--sigma 4]

RESULTS.h5 comes from a run on a loaded instance, so every sample (lane) is an independent copy
of the same instance: the estimate at each temperature is the mean over lanes of the per-lane
thermal averages, and its error is their spread over lanes divided by sqrt(lanes).  EXACT.txt is
the output of tests/enumerate.  Every observable must agree within --sigma errors."""
import sys

import h5py
import numpy as np

COLUMNS = {"energy": 1, "energy2": 2, "abs_magnetization": 3, "q2": 4, "q4": 5, "link_overlap": 6}


def main(argv):
    args = argv[1:]
    skip, sigma = set(), 4.0
    if "--skip" in args:
        i = args.index("--skip")
        skip = set(args[i + 1].split(","))
        del args[i:i + 2]
    if "--sigma" in args:
        i = args.index("--sigma")
        sigma = float(args[i + 1])
        del args[i:i + 2]
    results, exact_path = args
    exact = np.loadtxt(exact_path, ndmin=2)
    worst, failures = 0.0, 0
    with h5py.File(results, "r") as f:
        temps = f["temperatures"][...]
        print(f"{'T':>6} {'observable':>18} {'Monte Carlo':>22} {'exact':>12} {'z':>6}")
        for row in exact:
            t = int(np.argmin(np.abs(temps - row[0])))
            if abs(temps[t] - row[0]) > 1e-9:
                print(f"temperature {row[0]} is not in {results}")
                return 1
            for name, col in COLUMNS.items():
                if name in skip:
                    continue
                per_lane = f["observables"][name][:, t]
                mean = per_lane.mean()
                err = per_lane.std(ddof=1) / np.sqrt(len(per_lane))
                z = (mean - row[col]) / err if err > 0 else (0.0 if mean == row[col] else np.inf)
                worst = max(worst, abs(z))
                bad = not abs(z) < sigma
                failures += bad
                print(f"{row[0]:6.3f} {name:>18} {mean:12.6f} +- {err:8.6f} {row[col]:12.6f} {z:6.2f}{'  FAIL' if bad else ''}")
        # The overlap distribution, where the results have it (SK) and the exact file lists it.
        pq_exact = {}
        with open(exact_path) as ex:
            for line in ex:
                if line.startswith("#pq "):
                    v = [float(x) for x in line.split()[1:]]
                    pq_exact[v[0]] = np.array(v[1:])
        if "pq" in f["observables"] and pq_exact and "pq" not in skip:
            pq = f["observables/pq"][...]
            for T0, exact_p in pq_exact.items():
                t = int(np.argmin(np.abs(temps - T0)))
                est = pq[:, t, :].mean(axis=0)
                err = pq[:, t, :].std(axis=0, ddof=1) / np.sqrt(pq.shape[0])
                ok = exact_p > 1e-3  # bins that hold a measurable weight
                z = (est[ok] - exact_p[ok]) / np.maximum(err[ok], 1e-12)
                bad = int(np.sum(~(np.abs(z) < sigma)))
                worst = max(worst, float(np.max(np.abs(z))))
                failures += bad
                print(f"{T0:6.3f} {'P(q)':>18} {int(ok.sum())} bins, largest |z| {np.max(np.abs(z)):.2f}{'  FAIL' if bad else ''}")
    print(f"largest deviation {worst:.2f} standard errors; {failures} beyond {sigma}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
