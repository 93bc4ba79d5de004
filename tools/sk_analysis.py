#!/usr/bin/python3
"""Finite-size analysis of SK runs (tools/sk_study.sh): the low-temperature energy per spin
against N^(-2/3), extrapolated to N -> infinity next to Parisi's ground-state energy -0.7632, and
the Binder cumulant g(T) for every N, whose curves cross near T_c = 1.  Also P(q) at the lowest
temperature.  Errors are jackknife errors over the disorder samples.

usage: /usr/bin/python3 tools/sk_analysis.py RESULTS.h5 ... [--prefix PREFIX]

Writes PREFIX-energy.png, PREFIX-binder.png and PREFIX-pq.png (PREFIX defaults to sk) and prints
the numbers."""
import argparse
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PARISI_E0 = -0.7632


def jackknife(samples, estimator):
    n = samples[0].shape[0]
    full = estimator(*[s.mean(axis=0) for s in samples])
    totals = [s.sum(axis=0) for s in samples]
    leave = np.array([estimator(*[(t - s[i]) / (n - 1) for t, s in zip(totals, samples)]) for i in range(n)])
    return full, np.sqrt((n - 1) / n * ((leave - leave.mean(axis=0)) ** 2).sum(axis=0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--prefix", default="sk")
    args = ap.parse_args()
    runs = []
    for path in args.results:
        with h5py.File(path, "r") as f:
            if f.attrs.get("model") not in ("sk", b"sk"):
                print(f"{path}: not an SK run", file=sys.stderr)
                return 1
            runs.append(dict(N=int(f.attrs["N"]), T=f["temperatures"][...], e=f["observables/energy"][...],
                             q2=f["observables/q2"][...], q4=f["observables/q4"][...], pq=f["observables/pq"][...],
                             q=f["observables/pq_q"][...], lb_q2=f["logbins/q2"][...], lb_first=f["logbins/sweep_first"][...],
                             lb_last=f["logbins/sweep_last"][...], lb_n=f["logbins/measurements"][...]))
    runs.sort(key=lambda r: r["N"])

    # Energy at the lowest temperature against N^(-2/3), linear extrapolation to N -> infinity.
    Ns = np.array([r["N"] for r in runs], dtype=float)
    e_low = np.array([jackknife([r["e"][:, 0]], lambda e: e)[0] for r in runs])
    e_err = np.array([jackknife([r["e"][:, 0]], lambda e: e)[1] for r in runs])
    Tlow = runs[0]["T"][0]
    x = Ns ** (-2.0 / 3.0)
    w = 1.0 / e_err**2
    A = np.vstack([np.ones_like(x), x]).T
    cov = np.linalg.inv(A.T @ (A * w[:, None]))
    coef = cov @ (A.T @ (w * e_low))
    chi2 = float(np.sum(w * (e_low - A @ coef) ** 2))
    print(f"energy per spin at T = {Tlow:g}:")
    for N, e, de in zip(Ns, e_low, e_err):
        print(f"  N = {int(N):5d}: e = {e:.5f} +- {de:.5f}")
    print(f"  fit e(N) = e_inf + a N^(-2/3): e_inf = {coef[0]:.4f} +- {np.sqrt(cov[0, 0]):.4f}, a = {coef[1]:.3f}, chi2 = {chi2:.2f} for {len(Ns) - 2} degrees of freedom")
    print(f"  Parisi's ground-state energy: {PARISI_E0}")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.errorbar(x, e_low, e_err, fmt="o", capsize=3, label=f"glassy, T = {Tlow:g}")
    xx = np.linspace(0, x.max() * 1.05, 50)
    ax.plot(xx, coef[0] + coef[1] * xx, "-", label=f"fit: e_inf = {coef[0]:.4f}({int(round(np.sqrt(cov[0, 0]) * 1e4))})")
    ax.axhline(PARISI_E0, color="k", ls="--", label="Parisi ground state -0.7632")
    ax.set(xlabel="N^(-2/3)", ylabel="[e] per spin", title="SK energy at low temperature")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.prefix + "-energy.png", dpi=110)

    # Binder cumulant for every N.
    fig, ax = plt.subplots(figsize=(6, 4.5))
    print("Binder cumulant g = (3 - [<q4>]/[<q2>]^2)/2:")
    gs = {}
    for r in runs:
        g, dg = jackknife([r["q4"], r["q2"]], lambda q4, q2: 0.5 * (3 - q4 / q2**2))
        gs[r["N"]] = (g, dg)
        ax.errorbar(r["T"], g, dg, marker="o", ms=3, capsize=2, label=f"N = {r['N']}")
        print(f"  N = {r['N']:5d}: " + " ".join(f"{t:.3f}:{v:.3f}" for t, v in zip(r["T"], g)))
    ax.axvline(1.0, color="k", ls="--", lw=1, label="T_c = 1")
    ax.set(xlabel="T", ylabel="g", title="SK Binder cumulant")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.prefix + "-binder.png", dpi=110)
    # Crossings of consecutive sizes (linear interpolation of g_N1 - g_N2 in T).
    Nlist = sorted(gs)
    for a, b in zip(Nlist[:-1], Nlist[1:]):
        T = runs[0]["T"]
        d = gs[a][0] - gs[b][0]
        idx = np.nonzero(np.sign(d[:-1]) != np.sign(d[1:]))[0]
        if len(idx):
            i = idx[-1]
            Tx = T[i] - d[i] * (T[i + 1] - T[i]) / (d[i + 1] - d[i])
            print(f"  crossing of N = {a} and N = {b}: T = {Tx:.3f}")
        else:
            print(f"  N = {a} and N = {b}: no crossing in the range")

    # P(q) at the lowest temperature.
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for r in runs:
        p = r["pq"][:, 0, :].mean(axis=0) * r["N"] / 2  # density: bins are 2/N wide
        ax.plot(r["q"], p, label=f"N = {r['N']}")
    ax.set(xlabel="q", ylabel="P(q)", title=f"SK overlap distribution, T = {Tlow:g}")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.prefix + "-pq.png", dpi=110)

    # Equilibration: [<q2>] at the lowest temperature in the last two complete windows.
    print(f"equilibration at T = {Tlow:g} ([<q2>] in the last two complete logarithmic windows):")
    for r in runs:
        full = np.nonzero((r["lb_n"] > 0) & (r["lb_last"] - r["lb_first"] + 1 == r["lb_first"]))[0]
        a, b = r["lb_q2"][:, 0, full[-2]], r["lb_q2"][:, 0, full[-1]]
        z = (b - a).mean() / ((b - a).std(ddof=1) / np.sqrt(len(a)))
        print(f"  N = {r['N']:5d}: {a.mean():.4f} (sweeps {int(r['lb_first'][full[-2]])}..) -> {b.mean():.4f} (sweeps {int(r['lb_first'][full[-1]])}..), {z:+.1f} sigma")
    print(f"figures: {args.prefix}-energy.png {args.prefix}-binder.png {args.prefix}-pq.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
