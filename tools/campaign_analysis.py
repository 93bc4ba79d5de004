#!/usr/bin/python3
"""Finite-size-scaling analysis of a glassy campaign (OUTDIR/results.h5).

usage: /usr/bin/python3 tools/campaign_analysis.py OUTDIR [--out FIGDIR] [--bootstrap B] [--seed S]

OUTDIR is the campaign's output_dir (or its results.h5 itself).  FIGDIR defaults to
OUTDIR/analysis.  The script computes, for every size, the disorder averages ([.] over samples)
of the energy per spin, [<q^2>], the Binder cumulant g, chi_SG and (EA) xi_L/L, with jackknife
errors; the temperatures where g and xi_L/L of consecutive sizes cross, with bootstrap errors
over the samples; an equilibration check on the logarithmic windows; and (SK) the disorder
average of P(q).  It writes figures and FIGDIR/report.txt, and prints the report.

Nonlinear quantities (g, xi_L) are functions of disorder averages: they are evaluated on the
jackknife (delete-one) or bootstrap means, never averaged sample by sample.
"""
import argparse
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.interpolate import PchipInterpolator  # noqa: E402
from scipy.optimize import brentq  # noqa: E402

# Observables each model must provide in observables/ (thermal averages per sample).
REQUIRED_OBSERVABLES = {"ea": ("energy", "q2", "q4", "qk2"), "sk": ("energy", "q2", "q4")}
# Observables the equilibration check uses from logbins/.
EQUILIBRATION_OBSERVABLES = ("q2", "energy")
# Agreement criterion of the last two complete windows, in combined standard errors.
EQUILIBRATION_NSIGMA = 2.0
DPI = 120


class LayoutError(Exception):
    """The results file is missing or lacks something the analysis needs (message names it)."""


# ----------------------------------------------------------------------------- statistics


def jackknife(estimator, *arrays):
    """Value and delete-one jackknife error of estimator(*means) over samples (axis 0).

    Each array is shaped [samples, ...]; the estimator receives the sample means (the
    delete-one means for the jackknife estimates) and may be nonlinear.  The value is the
    estimator of the full means.  With fewer than two samples the error is NaN."""
    n = arrays[0].shape[0]
    value = estimator(*[a.mean(axis=0) for a in arrays])
    if n < 2:
        return value, np.full_like(np.asarray(value, dtype=float), np.nan)
    # Delete-one means of every sample at once: (total - x_i) / (n - 1), shape [n, ...].
    loo = [(a.sum(axis=0) - a) / (n - 1) for a in arrays]
    estimates = estimator(*loo)
    spread = estimates - estimates.mean(axis=0)
    err = np.sqrt((n - 1) / n * (spread**2).sum(axis=0))
    return value, err


def bootstrap_weights(n, nboot, rng):
    """Weights [nboot, n] of nboot resamples (with replacement) of n samples; rows sum to 1."""
    draws = rng.integers(0, n, size=(nboot, n))
    counts = np.zeros((nboot, n))
    np.add.at(counts, (np.arange(nboot)[:, None], draws), 1.0)
    return counts / n


def binder(q2, q4):
    """Binder cumulant g = (3 - [q4]/[q2]^2) / 2 of disorder-averaged moments."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.5 * (3.0 - q4 / q2**2)


def xi_over_L(q2, qk2, L):
    """Second-moment correlation length over L from [q2] and [qk2] (chi(0)/chi(k_min) = q2/qk2).

    xi_L = sqrt(chi(0)/chi(k_min) - 1) / (2 sin(k_min/2)), k_min = 2 pi / L.  Where the
    ratio is below 1 (noise at high T) xi is undefined and NaN is returned."""
    kmin = 2.0 * np.pi / L
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = q2 / qk2 - 1.0
        xi = np.sqrt(np.where(ratio >= 0, ratio, np.nan)) / (2.0 * np.sin(kmin / 2.0))
    return xi / L


# ----------------------------------------------------------------------------- reading


def _decode(value):
    """HDF5 string attributes come back as bytes; numbers as numpy scalars."""
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _attr(node, name, path):
    if name not in node.attrs:
        raise LayoutError(f"{path}: missing attribute '{name}' on {node.name}")
    return _decode(node.attrs[name])


def _dataset(node, name, path):
    if name not in node or not isinstance(node[name], h5py.Dataset):
        raise LayoutError(f"{path}: missing dataset {node.name.rstrip('/')}/{name}")
    return node[name][...]


def _check_shape(actual, expected, what, path):
    if tuple(actual) != tuple(expected):
        raise LayoutError(f"{path}: {what} has shape {tuple(actual)}, expected {tuple(expected)}")


def _read_observables(g, model, nT, path):
    """observables/NAME [samples][nT] of the model, and the number of samples."""
    obs = {k: _dataset(g, f"observables/{k}", path) for k in REQUIRED_OBSERVABLES[model]}
    nsamples = obs["energy"].shape[0] if obs["energy"].ndim == 2 else 0
    if nsamples < 1:
        raise LayoutError(f"{path}: {g.name}/observables/energy has shape {obs['energy'].shape}, expected [samples >= 1][{nT}]")
    for k, a in obs.items():
        _check_shape(a.shape, (nsamples, nT), f"{g.name}/observables/{k}", path)
    return obs, nsamples


def _read_logbins(g, nsamples, nT, path):
    """logbins/NAME [samples][nT][K] of the equilibration observables, and the window bounds."""
    windows = {k: _dataset(g, f"logbins/{k}", path) for k in ("sweep_first", "sweep_last", "measurements")}
    K = windows["sweep_first"].size
    for k, a in windows.items():
        _check_shape(a.shape, (K,), f"{g.name}/logbins/{k}", path)
    lb = {k: _dataset(g, f"logbins/{k}", path) for k in EQUILIBRATION_OBSERVABLES}
    for k, a in lb.items():
        _check_shape(a.shape, (nsamples, nT, K), f"{g.name}/logbins/{k}", path)
    return lb, windows


def _check_pq(g, nsamples, nT, N, path):
    """SK: observables/pq [samples][nT][N+1] and pq_q [N+1] exist (pq is read later, by slices)."""
    for k, shape in (("pq", (nsamples, nT, N + 1)), ("pq_q", (N + 1,))):
        if not isinstance(g.get(f"observables/{k}"), h5py.Dataset):
            raise LayoutError(f"{path}: missing dataset {g.name}/observables/{k}")
        _check_shape(g[f"observables/{k}"].shape, shape, f"{g.name}/observables/{k}", path)


def read_size(f, model, size_name, size, path):
    """Everything the analysis needs from one size group, as a dict."""
    name = f"{size_name}{size}"
    if not isinstance(f.get(name), h5py.Group):
        raise LayoutError(f"{path}: missing group /{name} (listed in the 'sizes' attribute)")
    g = f[name]
    T = _dataset(g, "temperatures", path)
    if T.ndim != 1 or T.size < 1:
        raise LayoutError(f"{path}: /{name}/temperatures has shape {T.shape}, expected [nT >= 1]")
    obs, nsamples = _read_observables(g, model, T.size, path)
    lb, windows = _read_logbins(g, nsamples, T.size, path)
    swap = _dataset(g, "pt/swap_acceptance", path)
    _check_shape(swap.shape, (nsamples, T.size - 1), f"/{name}/pt/swap_acceptance", path)
    if model == "ea":
        L, dim = int(_attr(g, "L", path)), int(_attr(g, "dim", path))
        N = L**dim
    else:
        L, dim, N = None, None, int(_attr(g, "N", path))
        _check_pq(g, nsamples, T.size, N, path)
    return {"name": name, "size": int(size), "L": L, "N": N, "dim": dim, "T": T, "obs": obs,
            "logbins": lb, "windows": windows, "swap": swap, "samples": nsamples,
            "attrs": {k: _decode(v) for k, v in g.attrs.items()}}


def load_campaign(path):
    """The root attributes and the size groups of a campaign results file, sizes ascending."""
    if not os.path.isfile(path):
        raise LayoutError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise LayoutError(f"{path}: not a readable HDF5 file ({exc})") from None
    with f:
        model = _attr(f, "model", path)
        if model not in REQUIRED_OBSERVABLES:
            raise LayoutError(f"{path}: attribute 'model' is '{model}', expected 'ea' or 'sk'")
        size_name = _attr(f, "size_name", path)
        sizes = sorted(int(s) for s in np.atleast_1d(_attr(f, "sizes", path)))
        if not sizes:
            raise LayoutError(f"{path}: attribute 'sizes' is empty")
        groups = [read_size(f, model, size_name, s, path) for s in sizes]
        root = {k: _decode(v) for k, v in f.attrs.items()}
    return {"path": path, "model": model, "size_name": size_name, "sizes": groups, "attrs": root}


def read_pq(path, sd, t_index):
    """Disorder average of P(q) (probability per q value) of one SK size at one temperature."""
    with h5py.File(path, "r") as f:
        g = f[sd["name"]]
        return g["observables/pq_q"][...], g["observables/pq"][:, t_index, :].mean(axis=0)


# ----------------------------------------------------------------------------- disorder averages


def size_averages(sd):
    """Disorder averages with jackknife errors of one size: dict name -> (value[nT], err[nT])."""
    o = sd["obs"]
    res = {"e": jackknife(lambda e: e, o["energy"]),
           "q2": jackknife(lambda q2: q2, o["q2"]),
           "chi": jackknife(lambda q2: sd["N"] * q2, o["q2"]),
           "g": jackknife(binder, o["q2"], o["q4"])}
    if sd["L"] is not None:
        res["xiL"] = jackknife(lambda q2, qk2: xi_over_L(q2, qk2, sd["L"]), o["q2"], o["qk2"])
        res["xi"] = (res["xiL"][0] * sd["L"], res["xiL"][1] * sd["L"])
    return res


def curve_quantities(model):
    """The quantities whose crossings are looked for."""
    return ("g", "xiL") if model == "ea" else ("g",)


def size_curve(sd, quantity, weights=None):
    """Curve of one quantity against T for one size, on the plain sample mean or on weighted
    means (weights [B, samples] -> curves [B, nT]).  Nonlinear in the means, as it should be."""
    o = sd["obs"]

    def mean(a):
        return a.mean(axis=0) if weights is None else weights @ a

    if quantity == "g":
        return binder(mean(o["q2"]), mean(o["q4"]))
    if quantity == "xiL":
        return xi_over_L(mean(o["q2"]), mean(o["qk2"]), sd["L"])
    raise ValueError(quantity)


# ----------------------------------------------------------------------------- crossings


def _interpolant(T, y):
    """Monotone cubic (PCHIP) interpolant of y(T) on the finite points; None if fewer than two."""
    ok = np.isfinite(T) & np.isfinite(y)
    if ok.sum() < 2:
        return None, None
    order = np.argsort(T[ok])
    Tk, yk = T[ok][order], y[ok][order]
    return PchipInterpolator(Tk, yk, extrapolate=False), (Tk[0], Tk[-1])


def find_crossing(Ta, ya, Tb, yb, refine=8):
    """Crossing of curve a (the smaller size) and curve b (the larger), each on its own ladder.

    The difference d(T) = y_b(T) - y_a(T) of the two interpolants is scanned on the overlap of
    the two temperature ranges (the nodes of both ladders, each interval cut in `refine`), and
    every sign change is solved with brentq.  If there are several roots, the one chosen best
    splits the scan into d > 0 below it and d < 0 above it (the larger size above below T_c).

    Returns a dict: T (float, or None if d does not change sign), roots (all of them),
    range (Tlo, Thi) of the overlap (None if the ranges do not overlap), and order_ok (False when
    the chosen crossing has the larger size below the smaller one at low T)."""
    fa, ra = _interpolant(np.asarray(Ta, float), np.asarray(ya, float))
    fb, rb = _interpolant(np.asarray(Tb, float), np.asarray(yb, float))
    out = {"T": None, "roots": [], "range": None, "order_ok": None}
    if fa is None or fb is None:
        return out
    lo, hi = max(ra[0], rb[0]), min(ra[1], rb[1])
    if not lo < hi:
        return out
    out["range"] = (lo, hi)
    grid = _scan_grid(np.concatenate([Ta, Tb]), lo, hi, refine)

    def diff(t):
        return float(fb(t) - fa(t))

    d = fb(grid) - fa(grid)
    roots = _roots(diff, grid, d)
    out["roots"] = roots
    if roots:
        out["T"] = _best_root(roots, grid, d)
        below = grid < out["T"]
        out["order_ok"] = bool(np.mean(d[below] > 0) >= 0.5) if below.any() else bool(np.mean(d[~below] < 0) >= 0.5)
    return out


def _scan_grid(nodes, lo, hi, refine):
    """The ladder nodes inside [lo, hi], the ends, and `refine` points per interval between."""
    pts = np.unique(np.concatenate([[lo, hi], nodes[(nodes > lo) & (nodes < hi)]]))
    fine = [np.linspace(a, b, refine, endpoint=False) for a, b in zip(pts[:-1], pts[1:])]
    return np.concatenate(fine + [[hi]])


def _roots(diff, grid, d):
    """All zeros of diff on the grid: exact zeros at nodes, and brentq in every sign change."""
    roots = []
    for i in range(len(grid) - 1):
        if d[i] == 0.0:
            roots.append(float(grid[i]))
        elif d[i] * d[i + 1] < 0:
            roots.append(float(brentq(diff, grid[i], grid[i + 1], xtol=1e-12)))
    if d[-1] == 0.0:
        roots.append(float(grid[-1]))
    return roots


def _best_root(roots, grid, d):
    """The root r with the most scan points agreeing with d > 0 for T < r and d < 0 for T > r
    (ties: the lowest r).  With a single root it is that root."""
    scores = [np.sum(d[grid < r] > 0) + np.sum(d[grid > r] < 0) for r in roots]
    return roots[int(np.argmax(scores))]


def bootstrap_curves(sizes, quantities, nboot, rng):
    """Bootstrap curves of every size: list (per size) of dict quantity -> [nboot, nT].

    The samples of each size are resampled independently with replacement.  The same resample
    of a size is used in both pairs it belongs to, and for every quantity."""
    curves = []
    for sd in sizes:
        w = bootstrap_weights(sd["samples"], nboot, rng)
        curves.append({q: size_curve(sd, q, w) for q in quantities})
    return curves


def pair_crossings(sizes, quantities, boot):
    """Crossing of every pair of consecutive sizes and quantity, with bootstrap statistics."""
    table = []
    for i in range(len(sizes) - 1):
        a, b = sizes[i], sizes[i + 1]
        for q in quantities:
            full = find_crossing(a["T"], size_curve(a, q), b["T"], size_curve(b, q))
            nboot = boot[i][q].shape[0]
            rs = [find_crossing(a["T"], boot[i][q][k], b["T"], boot[i + 1][q][k])["T"] for k in range(nboot)]
            crossed = np.array([r for r in rs if r is not None])
            enough = min(a["samples"], b["samples"]) >= 2 and crossed.size >= 2
            table.append({"quantity": q, "a": a, "b": b, "full": full,
                          "fraction": crossed.size / nboot if nboot else np.nan,
                          "std": float(np.std(crossed, ddof=1)) if enough else np.nan,
                          "boot_mean": float(crossed.mean()) if crossed.size else np.nan})
    return table


# ----------------------------------------------------------------------------- equilibration


def complete_windows(first, last, count):
    """Indices of the complete windows that hold measurements: window k spans 2^k .. 2^(k+1)-1,
    so it is complete when sweep_last == 2 sweep_first - 1."""
    first, last, count = (np.asarray(x) for x in (first, last, count))
    return [k for k in range(first.size) if count[k] > 0 and last[k] == 2 * first[k] - 1]


def agree_within_errors(diff, ediff, nsigma=EQUILIBRATION_NSIGMA):
    """The equilibration criterion: |b - a| <= nsigma * (error of b - a).  The error is that of the
    per-sample difference (paired): both windows average the same samples, so their
    sample-to-sample spread cancels in the difference and would hide a drift if the two errors
    were simply combined.  NaN errors fail."""
    return bool(abs(diff) <= nsigma * ediff)


def window_check(series, first, last, count):
    """Compare the disorder averages of the last two complete windows of one observable.

    series: [samples, K], the window averages of each sample at one temperature.  Returns a dict
    with the two windows (indices), their averages a, b and jackknife errors ea, eb, the paired
    error ed of b - a (jackknife of the per-sample difference), and ok, the verdict of
    agree_within_errors on b - a and ed.  ok is None, with the reason in 'why', when the check cannot
    be made: fewer than two complete windows (windows is then None), or no finite errors (one
    sample, or NaN data)."""
    wins = complete_windows(first, last, count)
    if len(wins) < 2:
        return {"windows": None, "ok": None, "ncomplete": len(wins),
                "why": f"fewer than two complete windows ({len(wins)})"}
    ka, kb = wins[-2], wins[-1]
    a, ea = jackknife(lambda x: x, series[:, ka])
    b, eb = jackknife(lambda x: x, series[:, kb])
    _, ed = jackknife(lambda x: x, series[:, kb] - series[:, ka])
    res = {"windows": (ka, kb), "a": float(a), "ea": float(ea), "b": float(b), "eb": float(eb),
           "ed": float(ed), "ncomplete": len(wins), "ok": None, "why": None}
    if np.all(np.isfinite([a, b, ed])):
        res["ok"] = agree_within_errors(b - a, ed)
    else:
        res["why"] = "no error estimate (one sample, or NaN data)"
    return res


def size_equilibration(sd):
    """window_check of every equilibration observable at every temperature of one size:
    dict observable -> list over T."""
    w = sd["windows"]
    return {k: [window_check(sd["logbins"][k][:, t, :], w["sweep_first"], w["sweep_last"], w["measurements"])
                for t in range(sd["T"].size)] for k in EQUILIBRATION_OBSERVABLES}


def size_verdict(checks):
    """Summary of one size: (verdict, failing T indices, untestable T indices, reason).

    The verdict is that of the lowest temperature, where tempering equilibrates slowest:
    'not equilibrated' if a check fails there, 'cannot tell' if one cannot be made there (with
    its reason), else 'equilibrated'.  Failures at other temperatures are listed for information:
    each check is a 2-sigma test, so about one in twenty fails by chance."""
    cells = [(t, c) for k in checks for t, c in enumerate(checks[k])]
    failing = sorted({t for t, c in cells if c["ok"] is False})
    untestable = sorted({t for t, c in cells if c["ok"] is None})
    why = next((c["why"] for t, c in cells if c["ok"] is None), None)
    if 0 in failing:
        return "not equilibrated", failing, untestable, why
    return ("cannot tell" if 0 in untestable else "equilibrated"), failing, untestable, why


# ----------------------------------------------------------------------------- formatting


def fmt(value, err, digits=2):
    """value(err) with `digits` significant digits of the error: 1.2345(67)."""
    if not np.isfinite(value):
        return "nan"
    if not np.isfinite(err):
        return f"{value:.5g}(nan)"
    if err <= 0:
        return f"{value:.6g}(0)"
    dec = max(0, digits - 1 - int(np.floor(np.log10(err))))
    if round(err * 10**dec) >= 10**digits and dec > 0:  # 0.0996 -> (10) rather than (100)
        dec -= 1
    return f"{value:.{dec}f}({int(round(err * 10**dec))})"


def size_label(data, sd):
    return f"{data['size_name']}={sd['size']}"


# ----------------------------------------------------------------------------- figures


def _bars(err):
    """Error bars for matplotlib: NaN errors (one sample) drawn as none, without warnings."""
    err = np.asarray(err, dtype=float)
    return np.where(np.isfinite(err), err, 0.0)


def _finish(fig, axes, path):
    """Legends and grids on the axes (one or several), then save and close the figure."""
    for ax in np.atleast_1d(axes):
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_quantity(data, averages, crossings, quantity, ylabel, path):
    """A quantity against T for every size with jackknife error bars; crossings marked."""
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for sd, av in zip(data["sizes"], averages):
        ax.errorbar(sd["T"], av[quantity][0], _bars(av[quantity][1]), marker="o", ms=3, capsize=2, label=size_label(data, sd))
    for c in crossings:
        if c["quantity"] == quantity and c["full"]["T"] is not None:
            Tx = c["full"]["T"]
            y = _interpolant(c["b"]["T"], size_curve(c["b"], quantity))[0](Tx)
            xerr = c["std"] if np.isfinite(c["std"]) else None
            ax.errorbar([Tx], [y], xerr=xerr, fmt="kx", ms=8, capsize=3)
    ax.plot([], [], "kx", label="crossings (bootstrap error)")
    ax.set(xlabel="T", ylabel=ylabel)
    return _finish(fig, ax, path)


def plot_swap(data, path):
    """Mean swap acceptance of each pair of neighbouring temperatures against their midpoint."""
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for sd in data["sizes"]:
        if sd["T"].size > 1:
            mid = 0.5 * (sd["T"][1:] + sd["T"][:-1])
            ax.plot(mid, sd["swap"].mean(axis=0), marker="o", ms=3, label=size_label(data, sd))
    ax.set(xlabel="T (midpoint of the pair T_t, T_t+1)", ylabel="swap acceptance (mean over samples)", ylim=(0, 1.02))
    return _finish(fig, ax, path)


def plot_equilibration(data, path):
    """[q2] and [e] per logarithmic window against sweep at each size's lowest T.  Filled:
    complete windows; open: incomplete (the last one)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for sd in data["sizes"]:
        w = sd["windows"]
        full = set(complete_windows(w["sweep_first"], w["sweep_last"], w["measurements"]))
        used = [k for k in range(w["sweep_first"].size) if w["measurements"][k] > 0]
        x = np.sqrt(w["sweep_first"] * w["sweep_last"])
        for ax, obs in zip(axes, EQUILIBRATION_OBSERVABLES):
            y, e = jackknife(lambda v: v, sd["logbins"][obs][:, 0, :])
            line = ax.errorbar(x[used], y[used], _bars(e[used]), marker="none", capsize=2, label=f"{size_label(data, sd)}, T={sd['T'][0]:.3g}")
            colour = line[0].get_color()
            done = [k for k in used if k in full]
            part = [k for k in used if k not in full]
            ax.plot(x[done], y[done], "o", ms=4, color=colour)
            ax.plot(x[part], y[part], "o", ms=5, mfc="white", color=colour)
    for ax, ylabel in zip(axes, ("[<q^2>] in window", "[<e>] in window")):
        ax.set(xscale="log", xlabel="sweep (window 2^k .. 2^(k+1)-1; open: incomplete)", ylabel=ylabel)
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    fig.suptitle("equilibration at the lowest temperature of each size")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def pq_temperatures(data):
    """Indices (per size) of the lowest temperature and of the one nearest the middle of the
    temperature range common to all sizes (or the overall range if there is none)."""
    lo = max(sd["T"].min() for sd in data["sizes"])
    hi = min(sd["T"].max() for sd in data["sizes"])
    if lo > hi:
        lo, hi = min(sd["T"].min() for sd in data["sizes"]), max(sd["T"].max() for sd in data["sizes"])
    target = 0.5 * (lo + hi)
    return [(0, int(np.argmin(abs(sd["T"] - target)))) for sd in data["sizes"]]


def plot_pq(data, path):
    """SK: disorder-averaged P(q) (density: probability / (2/N)) at the lowest and a middle T."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=False)
    for sd, idx in zip(data["sizes"], pq_temperatures(data)):
        for ax, t in zip(axes, idx):
            q, p = read_pq(data["path"], sd, t)
            ax.plot(q, p / (2.0 / sd["N"]), label=f"{size_label(data, sd)}, T={sd['T'][t]:.3g}")
    axes[0].set_title("lowest temperature of each size")
    axes[1].set_title("temperature nearest the middle of the range")
    for ax in axes:
        ax.set(xlabel="q", ylabel="[P(q)] (density)")
    return _finish(fig, axes, path)


def make_figures(data, averages, crossings, figdir):
    files = [plot_quantity(data, averages, crossings, "g", "Binder cumulant g", os.path.join(figdir, "binder.png"))]
    if data["model"] == "ea":
        files.append(plot_quantity(data, averages, crossings, "xiL", "xi_L / L", os.path.join(figdir, "xi_over_L.png")))
    files.append(plot_swap(data, os.path.join(figdir, "swap_acceptance.png")))
    files.append(plot_equilibration(data, os.path.join(figdir, "equilibration.png")))
    if data["model"] == "sk":
        files.append(plot_pq(data, os.path.join(figdir, "pq.png")))
    return files


# ----------------------------------------------------------------------------- report


QUANTITY_NAMES = {"g": "g", "xiL": "xi/L"}


def report_summary(data):
    a, first = data["attrs"], data["sizes"][0]["attrs"]
    lines = [f"glassy campaign analysis: {data['path']}",
             f"campaign file {a.get('campaign_file', '?')}, glassy {a.get('version', '?')} ({a.get('git_commit', '?')})",
             f"model {data['model']}" + (f", dim {first.get('dim')}" if data["model"] == "ea" else "")
             + f", couplings {first.get('couplings', '?')}, replicas {first.get('replicas', '?')}, update {first.get('update', '?')}",
             "",
             f"{'size':>7} {'N':>7} {'samples':>7} {'nT':>4} {'Tmin':>6} {'Tmax':>6} {'equil+meas sweeps':>18} {'seed':>11}"]
    for sd in data["sizes"]:
        at = sd["attrs"]
        sweeps = f"{at.get('equilibration_sweeps', '?')}+{at.get('measurement_sweeps', '?')}"
        lines.append(f"{size_label(data, sd):>7} {sd['N']:>7} {sd['samples']:>7} {sd['T'].size:>4} "
                     f"{sd['T'].min():>6.3f} {sd['T'].max():>6.3f} {sweeps:>18} {str(at.get('seed', '?')):>11}")
    return lines


def report_tables(data, averages):
    cols = ["e", "q2", "g", "chi"] + (["xiL"] if data["model"] == "ea" else [])
    heads = {"e": "[e]", "q2": "[<q^2>]", "g": "g", "chi": "chi_SG", "xiL": "xi_L/L"}
    lines = ["", "Disorder averages (jackknife errors over samples; g and xi_L from averaged moments):"]
    for sd, av in zip(data["sizes"], averages):
        lines.append(f"  {size_label(data, sd)} ({sd['samples']} sample{'s' if sd['samples'] > 1 else ''})")
        lines.append("    " + f"{'T':>7}" + "".join(f"{heads[c]:>16}" for c in cols))
        for t, T in enumerate(sd["T"]):
            lines.append("    " + f"{T:>7.4f}" + "".join(f"{fmt(av[c][0][t], av[c][1][t]):>16}" for c in cols))
    return lines


def describe_crossing(c):
    """Crossing temperature with bootstrap error, or why there is none."""
    full, frac = c["full"], c["fraction"]
    if full["range"] is None:
        return "no overlap of the temperature ranges (or too few finite points)"
    lo, hi = full["range"]
    if full["T"] is None:
        return f"no crossing in [{lo:.4f}, {hi:.4f}]; {100 * frac:.0f}% of resamples cross"
    text = f"T = {fmt(full['T'], c['std'])}  ({100 * frac:.0f}% of resamples cross)"
    if len(full["roots"]) > 1:
        text += f"; {len(full['roots'])} roots in [{lo:.3f}, {hi:.3f}]: " + ", ".join(f"{r:.3f}" for r in full["roots"])
    if not full["order_ok"]:
        text += "; larger size BELOW at low T (unexpected order)"
    return text


def report_crossings(data, crossings, nboot, seed):
    lines = ["", "Crossings of consecutive sizes (PCHIP interpolation on each size's ladder, roots in the overlap",
             f"of the two ranges; error: standard deviation over {nboot} bootstrap resamples of the samples of",
             f"each size, seed {seed}):"]
    if not crossings:
        lines.append("  only one size: no crossings")
    for c in crossings:
        pair = f"{size_label(data, c['a'])}/{size_label(data, c['b'])}"
        lines.append(f"  {QUANTITY_NAMES[c['quantity']]:>5} {pair:>12}: {describe_crossing(c)}")
    return lines


def report_tc(data, crossings):
    lines = ["", "T_c estimate:"]
    if len(data["sizes"]) < 2:
        return lines + ["  needs at least two sizes"]
    a, b = data["sizes"][-2], data["sizes"][-1]
    lines.append(f"  crossing of the two largest sizes, {size_label(data, a)} and {size_label(data, b)}:")
    for c in crossings:
        if c["a"] is a:
            lines.append(f"    from {QUANTITY_NAMES[c['quantity']]:>4}: {describe_crossing(c)}")
    lines.append("  Small sizes have corrections to scaling: the crossings drift with size, and this is a")
    lines.append("  finite-size estimate, not an extrapolation to infinite size.")
    return lines


def _window_text(sd, k):
    w = sd["windows"]
    return f"{int(w['sweep_first'][k])}-{int(w['sweep_last'][k])}"


def equilibration_row(data, sd, checks, t):
    """One row of the equilibration table: windows, then a, b, verdict of each observable."""
    c0 = checks[EQUILIBRATION_OBSERVABLES[0]][t]
    if c0["windows"] is None:
        return f"  {size_label(data, sd):>7} {sd['T'][t]:>7.4f}  fewer than two complete windows ({c0['ncomplete']})"
    win = f"{_window_text(sd, c0['windows'][0])}, {_window_text(sd, c0['windows'][1])}"
    cells = []
    for k in EQUILIBRATION_OBSERVABLES:
        c = checks[k][t]
        verdict = {True: "ok", False: "DRIFT", None: "n/a"}[c["ok"]]
        cells.append(f"{fmt(c['a'], c['ea']):>13} {fmt(c['b'], c['eb']):>13} {fmt(c['b'] - c['a'], c['ed']):>12} {verdict:>5}")
    return f"  {size_label(data, sd):>7} {sd['T'][t]:>7.4f} {win:>20} " + " ".join(cells)


def equilibration_header():
    cells = " ".join(f"{k + ' a':>13} {k + ' b':>13} {'b-a(paired)':>12} {'':>5}" for k in ("[q2]", "[e]"))
    return f"  {'size':>7} {'T':>7} {'windows a, b':>20} " + cells


def report_equilibration(data, checks_all):
    lines = ["", "Equilibration: disorder averages of <q^2> and <e> in the last two complete logarithmic windows",
             "(a: second-to-last, b: last; jackknife errors over samples).",
             "'b-a(paired)' is b - a with the jackknife error of the per-sample difference (both windows",
             "average the same samples, so their sample-to-sample spread cancels in the difference).",
             f"Criterion: equilibrated when |b - a| <= {EQUILIBRATION_NSIGMA:g} x that error, for both observables.",
             "At the lowest temperature of each size:", equilibration_header()]
    for sd, checks in zip(data["sizes"], checks_all):
        lines.append(equilibration_row(data, sd, checks, 0))
    lines.append("Per size, over all temperatures (full table in equilibration.txt):")
    for sd, checks in zip(data["sizes"], checks_all):
        lines.append(f"  {size_label(data, sd)}: " + verdict_text(sd, *size_verdict(checks)))
    lines.append(f"  (the verdict is that of the lowest temperature, where tempering equilibrates slowest; each check is a")
    lines.append(f"  {EQUILIBRATION_NSIGMA:g}-sigma test, so about one in twenty fails by chance at the other temperatures)")
    return lines


def verdict_text(sd, verdict, failing, untestable, why):
    """The per-size equilibration sentence of the report."""
    nT = sd["T"].size

    def temps(ts):
        return ", ".join(f"{sd['T'][t]:.3f}" for t in ts)

    others = f"; for information, {len(failing)} of {nT} temperatures fail (T = {temps(failing)})" if failing else f" (all {nT} temperatures pass)"
    if verdict == "equilibrated":
        return "equilibrated at the lowest temperature" + others
    if verdict == "cannot tell":
        where = "at any temperature" if len(untestable) == nT else f"at T = {temps(untestable)}"
        return f"cannot tell {where}: {why}"
    text = f"NOT equilibrated at the lowest temperature, T = {temps([0])}" + others
    if untestable:
        text += f"; no verdict at T = {temps(untestable)} ({why})"
    return text


def equilibration_table(data, checks_all):
    lines = [equilibration_header()]
    for sd, checks in zip(data["sizes"], checks_all):
        lines += [equilibration_row(data, sd, checks, t) for t in range(sd["T"].size)]
    return lines


# ----------------------------------------------------------------------------- main


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Finite-size-scaling analysis of a glassy campaign (OUTDIR/results.h5).")
    ap.add_argument("outdir", metavar="OUTDIR", help="the campaign's output_dir, or its results.h5")
    ap.add_argument("--out", metavar="FIGDIR", help="where figures and report.txt go (default OUTDIR/analysis)")
    ap.add_argument("--bootstrap", type=int, default=200, metavar="B", help="bootstrap resamples (default 200)")
    ap.add_argument("--seed", type=int, default=2024, help="seed of the bootstrap (default 2024)")
    return ap.parse_args(argv)


def results_path(outdir):
    if os.path.isfile(outdir):
        return outdir, os.path.dirname(os.path.abspath(outdir))
    return os.path.join(outdir, "results.h5"), outdir


def analyse(path, figdir, nboot, seed):
    """Run the whole analysis; returns the report text (also written to figdir/report.txt)."""
    data = load_campaign(path)
    sizes = data["sizes"]
    averages = [size_averages(sd) for sd in sizes]
    quantities = curve_quantities(data["model"])
    boot = bootstrap_curves(sizes, quantities, nboot, np.random.default_rng(seed))
    crossings = pair_crossings(sizes, quantities, boot)
    checks_all = [size_equilibration(sd) for sd in sizes]
    os.makedirs(figdir, exist_ok=True)
    files = make_figures(data, averages, crossings, figdir)
    eq_file = os.path.join(figdir, "equilibration.txt")
    with open(eq_file, "w") as fh:
        fh.write("\n".join(line.rstrip() for line in equilibration_table(data, checks_all)) + "\n")
    lines = (report_summary(data) + report_tables(data, averages) + report_crossings(data, crossings, nboot, seed)
             + report_tc(data, crossings) + report_equilibration(data, checks_all))
    report_file = os.path.join(figdir, "report.txt")
    lines += ["", "Files:"] + [f"  {p}" for p in files + [eq_file, report_file]]
    text = "\n".join(line.rstrip() for line in lines) + "\n"
    with open(report_file, "w") as fh:
        fh.write(text)
    return text


def main(argv=None):
    args = parse_args(argv)
    path, outdir = results_path(args.outdir)
    figdir = args.out or os.path.join(outdir, "analysis")
    try:
        text = analyse(path, figdir, args.bootstrap, args.seed)
    except LayoutError as exc:
        print(f"campaign_analysis: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # writing FIGDIR, or an HDF5 read that fails midway
        print(f"campaign_analysis: {exc.filename or path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
