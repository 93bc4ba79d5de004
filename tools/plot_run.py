#!/usr/bin/python3
"""Figures and a short report from one glassy results file.

usage: /usr/bin/python3 tools/plot_run.py RESULTS.h5 [--prefix PREFIX]

Writes PREFIX-binder.png (Binder cumulant g and xi_L/L against T), PREFIX-swap.png (tempering
acceptance of each pair of neighbouring temperatures) and PREFIX-equilibration.png (energy and
<q^2> averaged over logarithmic windows of sweeps, at the lowest and a middle temperature), and
prints a table.  PREFIX defaults to the results file name without .h5.  Errors are jackknife
errors over the disorder samples."""
import argparse
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def jackknife(samples, estimator):
    """Estimate and jackknife error of estimator(*means) over the sample axis (axis 0)."""
    n = samples[0].shape[0]
    full = estimator(*[s.mean(axis=0) for s in samples])
    if n < 2:
        return full, np.full_like(full, np.nan)
    totals = [s.sum(axis=0) for s in samples]
    leave = np.array([estimator(*[(t - s[i]) / (n - 1) for t, s in zip(totals, samples)]) for i in range(n)])
    err = np.sqrt((n - 1) / n * ((leave - leave.mean(axis=0)) ** 2).sum(axis=0))
    return full, err


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--prefix")
    args = ap.parse_args()
    prefix = args.prefix or (args.results[:-3] if args.results.endswith(".h5") else args.results)
    with h5py.File(args.results, "r") as f:
        T = f["temperatures"][...]
        L, N = int(f.attrs["L"]), int(f.attrs["N"])
        obs = {k: f["observables"][k][...] for k in ("energy", "q2", "q4", "qk2")}
        swap = f["pt/swap_acceptance"][...]
        lb = {k: f["logbins"][k][...] for k in ("energy", "q2")}
        lo, hi = f["logbins/sweep_first"][...], f["logbins/sweep_last"][...]
        count = f["logbins/measurements"][...]
    if not np.all(np.isfinite(obs["q2"])):
        print("this run has one replica per temperature: no overlaps to analyse", file=sys.stderr)
        return 1
    kmin = 2 * np.pi / L
    g, g_err = jackknife([obs["q4"], obs["q2"]], lambda q4, q2: 0.5 * (3 - q4 / q2**2))
    xi, xi_err = jackknife([obs["q2"], obs["qk2"]], lambda q2, qk2: np.sqrt(np.maximum(q2 / qk2 - 1, 0)) / (2 * np.sin(kmin / 2)) / L)
    e, e_err = jackknife([obs["energy"]], lambda e: e)

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].errorbar(T, g, g_err, marker="o", capsize=2, label=f"L={L}")
    ax[0].set(xlabel="T", ylabel="Binder cumulant g", title="g = (3 - [<q^4>]/[<q^2>]^2)/2")
    ax[1].errorbar(T, xi, xi_err, marker="o", capsize=2, label=f"L={L}")
    ax[1].set(xlabel="T", ylabel="xi_L / L", title="second-moment correlation length")
    for a in ax:
        a.legend()
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(prefix + "-binder.png", dpi=110)

    fig, ax = plt.subplots(figsize=(6, 4))
    if swap.shape[1]:
        Tm = 0.5 * (T[:-1] + T[1:])
        ax.errorbar(Tm, swap.mean(axis=0), swap.std(axis=0), marker="o", capsize=2)
    ax.set(xlabel="T (midpoint of the pair)", ylabel="swap acceptance", title="parallel tempering", ylim=(0, 1))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(prefix + "-swap.png", dpi=110)

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ok = count > 0
    mid = np.sqrt(lo[ok] * hi[ok])
    for t in sorted({0, len(T) // 2}):
        for a, name in zip(ax, ("energy", "q2")):
            y = lb[name][:, t, :][:, ok]
            a.errorbar(mid, y.mean(axis=0), y.std(axis=0) / np.sqrt(y.shape[0]), marker="o", capsize=2, label=f"T={T[t]:.3f}")
    ax[0].set(xscale="log", xlabel="sweeps", ylabel="[e]", title="energy in windows 2^k..2^(k+1)-1")
    ax[1].set(xscale="log", xlabel="sweeps", ylabel="[<q^2>]", title="q2 in windows 2^k..2^(k+1)-1")
    for a in ax:
        a.legend()
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(prefix + "-equilibration.png", dpi=110)

    print(f"{args.results}: L={L}, N={N}, {obs['q2'].shape[0]} samples")
    print(f"{'T':>8} {'e':>18} {'g':>18} {'xi_L/L':>18} {'swap acc':>9}")
    for t in range(len(T)):
        acc = f"{swap[:, t].mean():9.3f}" if t < swap.shape[1] else f"{'':9}"
        print(f"{T[t]:8.4f} {e[t]:10.5f} +- {e_err[t]:.5f} {g[t]:9.4f} +- {g_err[t]:.4f} {xi[t]:9.4f} +- {xi_err[t]:.4f} {acc}")
    # Equilibration: the last two complete logarithmic windows should agree within errors.
    idx = np.nonzero(ok & (hi - lo + 1 == lo))[0]
    if len(idx) >= 2:
        a, b = lb["q2"][:, :, idx[-2]], lb["q2"][:, :, idx[-1]]
        diff = (b - a).mean(axis=0) / ((b - a).std(axis=0, ddof=1) / np.sqrt(a.shape[0]) + 1e-300)
        worst = int(np.argmax(np.abs(diff)))
        print(f"equilibration: [<q^2>] in the last two complete windows ({lo[idx[-2]]:.0f}.. and {lo[idx[-1]]:.0f}..) differs by {diff[worst]:+.1f} sigma at worst (T={T[worst]:.4f});"
              f" {'looks equilibrated' if np.all(np.abs(diff) < 2) else 'NOT equilibrated: run longer'}")
    print(f"figures: {prefix}-binder.png {prefix}-swap.png {prefix}-equilibration.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
