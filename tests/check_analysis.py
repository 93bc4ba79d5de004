#!/usr/bin/python3
"""Checks of tools/campaign_analysis.py on synthetic data whose answers are known.

usage: /usr/bin/python3 tests/check_analysis.py     (exit status 0 when every check passes)

- jackknife: error of a plain mean = standard error of the mean; nonlinear estimators are
  evaluated on the means (ratio of averages); one sample gives NaN errors;
- xi_over_L and binder invert the formulas they implement;
- find_crossing: straight lines on different ladders crossing at T = 1.1, a curved pair, no
  crossing, no overlap;
- complete_windows and window_check: a flat series passes, a drifting one is flagged, fewer than
  two complete windows is reported as such;
- end to end: synthetic campaign files (EA with g crossing at 1.1 and xi/L at 1.05, one size
  drifting; EA with a one-sample size; SK; a broken file) through main().
"""
import contextlib
import importlib.util
import io
import os
import re
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "tools", "campaign_analysis.py")

spec = importlib.util.spec_from_file_location("campaign_analysis", TOOL)
ca = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ca)

FAILURES = []


def check(ok, what):
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        FAILURES.append(what)


# ----------------------------------------------------------------------------- unit checks


def check_jackknife():
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 0.5, size=(50, 3))
    value, err = ca.jackknife(lambda m: m, x)
    sem = x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])
    check(np.allclose(value, x.mean(axis=0)) and np.allclose(err, sem, rtol=1e-12),
          "jackknife of a plain mean: value = mean, error = standard error of the mean")
    a, b = rng.uniform(1, 2, 40), rng.uniform(1, 3, 40)
    value, err = ca.jackknife(lambda p, q: p / q, a, b)
    check(np.isclose(value, a.mean() / b.mean()) and not np.isclose(value, (a / b).mean()) and np.isfinite(err) and err > 0,
          "jackknife of a ratio: value is the ratio of the averages, error finite")
    value, err = ca.jackknife(lambda m: m, x[:1])
    check(np.allclose(value, x[0]) and np.all(np.isnan(err)), "jackknife with one sample: NaN errors, no crash")


def check_formulas():
    L, xi = 8, np.array([0.5, 2.0, 5.0])
    q2 = np.array([0.3, 0.2, 0.1])
    qk2 = q2 / (1 + (2 * np.sin(np.pi / L) * xi) ** 2)
    check(np.allclose(ca.xi_over_L(q2, qk2, L), xi / L), "xi_over_L recovers xi/L from chi(0)/chi(k_min)")
    check(np.isnan(ca.xi_over_L(np.array([0.1]), np.array([0.2]), L))[0], "xi_over_L is NaN when chi(k_min) > chi(0)")
    g = np.array([0.0, 0.4, 1.0])
    check(np.allclose(ca.binder(q2, (3 - 2 * g) * q2**2), g), "binder recovers g from [q2], [q4]")
    w = ca.bootstrap_weights(7, 5, np.random.default_rng(0))
    check(w.shape == (5, 7) and np.allclose(w.sum(axis=1), 1.0), "bootstrap weights: one row per resample, rows sum to 1")


def check_crossings():
    Ta, Tb = np.linspace(0.7, 1.6, 7), np.geomspace(0.75, 1.5, 11)
    ya, yb = 0.5 - 0.3 * (Ta - 1.1), 0.5 - 0.9 * (Tb - 1.1)
    c = ca.find_crossing(Ta, ya, Tb, yb)
    check(c["T"] is not None and abs(c["T"] - 1.1) < 1e-9 and c["order_ok"] and np.allclose(c["range"], (0.75, 1.5)),
          f"find_crossing: lines on different ladders cross at 1.1 (found {c['T']})")
    # Curved curves: y_a = 1/(1+T), y_b = 1/(1+T) + 0.2 (1.1 - T) (1 + T^2): exact crossing 1.1.
    Ta, Tb = np.linspace(0.6, 1.8, 9), np.linspace(0.8, 2.0, 13)
    c = ca.find_crossing(Ta, 1 / (1 + Ta), Tb, 1 / (1 + Tb) + 0.2 * (1.1 - Tb) * (1 + Tb**2))
    check(c["T"] is not None and abs(c["T"] - 1.1) < 0.01, f"find_crossing: curved curves cross at 1.1 within 0.01 (found {c['T']})")
    c = ca.find_crossing(Ta, 1 / (1 + Ta), Tb, 1 / (1 + Tb) + 0.1)
    check(c["T"] is None and np.allclose(c["range"], (0.8, 1.8)), "find_crossing: parallel curves give no crossing and the overlap range")
    c = ca.find_crossing(np.array([0.5, 0.7]), np.array([1.0, 0.0]), np.array([0.8, 0.9]), np.array([0.0, 1.0]))
    check(c["T"] is None and c["range"] is None, "find_crossing: ladders that do not overlap give no range")


def glassy_windows(last_sweep=2000, interval=10):
    """Window bounds as glassy writes them: 2^k .. 2^(k+1)-1, the last one cut at the last sweep."""
    first = 2.0 ** np.arange(int(np.log2(last_sweep)) + 1)
    last = np.minimum(2 * first - 1, last_sweep)
    count = np.array([len(range(int(-(-a // interval) * interval), int(b) + 1, interval)) for a, b in zip(first, last)], float)
    return first, last, count


def check_equilibration():
    first, last, count = glassy_windows()
    wins = ca.complete_windows(first, last, count)
    check(wins == list(range(3, 10)), f"complete_windows: windows 3..9 (empty 0..2, incomplete 10): {wins}")
    rng = np.random.default_rng(3)
    base = rng.normal(0.5, 0.1, size=(40, 1))               # sample-to-sample spread
    flat = base + rng.normal(0, 0.01, size=(40, first.size))
    centre = np.sqrt(first * last)
    drift = base * (1 - np.exp(-centre / 600.0)) + rng.normal(0, 0.01, size=(40, first.size))
    cf, cd = ca.window_check(flat, first, last, count), ca.window_check(drift, first, last, count)
    check(cf["ok"] is True and cf["windows"] == (8, 9), "window_check passes a flat series (windows 256-511, 512-1023)")
    check(cd["ok"] is False, f"window_check flags a drifting series (a={cd['a']:.3f}, b={cd['b']:.3f})")
    check(ca.agree_within_errors(0.19, 0.1) and not ca.agree_within_errors(0.21, 0.1) and not ca.agree_within_errors(0.0, float("nan")),
          "agree_within_errors: |b-a| <= 2 x (paired error of b-a); NaN fails")
    f2, l2, c2 = glassy_windows(last_sweep=20)
    cs = ca.window_check(flat[:, : f2.size], f2, l2, c2)
    check(cs["ok"] is None and cs["windows"] is None, "window_check: fewer than two complete windows -> no verdict")


# ----------------------------------------------------------------------------- synthetic files


def centred(rng, n):
    """n standard normal numbers with mean exactly zero (so disorder averages are exact)."""
    z = rng.normal(size=n)
    return z - z.mean() if n > 1 else np.zeros(n)


def write_ea_size(f, L, T, samples, slope_g, slope_xi, drift, rng):
    """One EA size whose [q2], [q4], [qk2] give g = 0.6 - slope_g (T - 1.1) and
    xi/L = 0.5 - slope_xi (T - 1.05) exactly; drift: the lowest T has not equilibrated."""
    grp = f.create_group(f"L{L}")
    for k, v in {"L": L, "N": L**3, "dim": 3, "samples": samples, "replicas": 2, "seed": 7 + L,
                 "equilibration_sweeps": 1000, "measurement_sweeps": 1000}.items():
        grp.attrs[k] = np.int64(v)
    grp.attrs["couplings"] = np.bytes_("bimodal")
    grp["temperatures"] = T
    m2 = 0.5 / T
    g, r = 0.6 - slope_g * (T - 1.1), 0.5 - slope_xi * (T - 1.05)
    obs = {"q2": m2 * (1 + 0.2 * centred(rng, samples)[:, None]),
           "q4": (3 - 2 * g) * m2**2 * (1 + 0.3 * centred(rng, samples)[:, None]),
           "qk2": m2 / (1 + (2 * np.sin(np.pi / L) * r * L) ** 2) * (1 + 0.2 * centred(rng, samples)[:, None]),
           "energy": -1.8 + 0.4 * (T - 0.8) + 0.01 * rng.normal(size=(samples, T.size))}
    obs["energy2"] = obs["energy"] ** 2
    obs["abs_magnetization"] = np.full((samples, T.size), 0.05)
    obs["link_overlap"] = 1 - 0.1 * T + 0 * obs["energy"]
    obs["link_overlap2"] = obs["link_overlap"] ** 2
    for k, v in obs.items():
        grp[f"observables/{k}"] = v
        grp[f"observables/{k}_err"] = 0.01 * np.abs(v)
    write_logbins(grp, obs, drift, rng)
    grp["pt/swap_acceptance"] = rng.uniform(0.3, 0.6, size=(samples, T.size - 1))


def write_logbins(grp, obs, drift, rng):
    """Windows as glassy writes them; each window holds the sample's value plus small noise,
    except with drift, where the lowest temperature relaxes slowly towards it."""
    first, last, count = glassy_windows()
    grp["logbins/sweep_first"], grp["logbins/sweep_last"], grp["logbins/measurements"] = first, last, count
    relax = np.ones((obs["q2"].shape[1], first.size))
    if drift:
        relax[0] = 1 - np.exp(-np.sqrt(first * last) / 600.0)
    for k, v in obs.items():
        # Window noise with zero mean over the samples: without drift, the disorder averages of
        # all windows agree exactly, so the 2-sigma check cannot fail by chance here.
        noise = 0.001 * rng.normal(size=v.shape + (first.size,))
        win = v[:, :, None] * relax[None] + (noise - noise.mean(axis=0))
        win[:, :, count == 0] = np.nan
        grp[f"logbins/{k}"] = win


def write_root(f, model, size_name, sizes):
    f.attrs["model"] = np.bytes_(model)
    f.attrs["size_name"] = np.bytes_(size_name)
    f.attrs["sizes"] = np.array(sizes, dtype=np.int64)
    f.attrs["campaign"] = np.bytes_(f"-model {model}\n-sizes {','.join(map(str, sizes))}\n")
    f.attrs["campaign_file"] = np.bytes_("synthetic.opts")


def write_ea_campaign(path, samples=(20, 12)):
    """L = 8 listed first (the tool must sort); g crosses at 1.1, xi/L at 1.05; L = 8 drifts."""
    rng = np.random.default_rng(11)
    with h5py.File(path, "w") as f:
        write_root(f, "ea", "L", [8, 4])
        write_ea_size(f, 4, np.linspace(0.8, 1.5, 7), samples[0], 0.5, 0.4, False, rng)
        write_ea_size(f, 8, np.geomspace(0.85, 1.6, 9), samples[1], 1.0, 0.8, True, rng)


def write_sk_campaign(path):
    """Two SK sizes with g = 0.6 - s_N (T - 1.0) and a two-peak P(q)."""
    rng = np.random.default_rng(12)
    with h5py.File(path, "w") as f:
        write_root(f, "sk", "N", [16, 32])
        for N, slope, T in ((16, 0.4, np.linspace(0.4, 1.5, 8)), (32, 0.8, np.linspace(0.5, 1.4, 10))):
            grp = f.create_group(f"N{N}")
            for k, v in {"N": N, "samples": 10, "replicas": 2, "seed": N, "equilibration_sweeps": 1000, "measurement_sweeps": 1000}.items():
                grp.attrs[k] = np.int64(v)
            grp.attrs["couplings"] = np.bytes_("gaussian")
            grp["temperatures"] = T
            m2, g = 0.5 / T, 0.6 - slope * (T - 1.0)
            obs = {"q2": m2 * (1 + 0.2 * centred(rng, 10)[:, None]),
                   "q4": (3 - 2 * g) * m2**2 * (1 + 0.2 * centred(rng, 10)[:, None]),
                   "energy": -0.7 + 0.3 * T + 0.01 * rng.normal(size=(10, T.size))}
            obs["energy2"], obs["abs_magnetization"] = obs["energy"] ** 2, np.full((10, T.size), 0.1)
            for k, v in obs.items():
                grp[f"observables/{k}"], grp[f"observables/{k}_err"] = v, 0.01 * np.abs(v)
            q = -1 + 2 * np.arange(N + 1) / N
            peaks = np.exp(-((np.abs(q)[None, :] - np.sqrt(m2)[:, None]) ** 2) / 0.02)
            pq = np.broadcast_to(peaks / peaks.sum(axis=1, keepdims=True), (10, T.size, N + 1))
            grp["observables/pq"], grp["observables/pq_q"] = pq, q
            write_logbins(grp, obs, False, rng)
            grp["pt/swap_acceptance"] = rng.uniform(0.3, 0.6, size=(10, T.size - 1))


# ----------------------------------------------------------------------------- end to end


def run_main(argv):
    """main() in this process; returns (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = ca.main(argv)
    return status, out.getvalue(), err.getvalue()


def crossing_T(report, quantity, pair):
    """The crossing temperature printed for quantity and pair (e.g. 'g', 'L=4/L=8'), or None."""
    m = re.search(rf"^\s*{re.escape(quantity)}\s+{re.escape(pair)}: T = ([0-9.]+)\(", report, re.M)
    return float(m.group(1)) if m else None


def check_end_to_end_ea(tmp):
    outdir = os.path.join(tmp, "ea")
    os.makedirs(outdir)
    write_ea_campaign(os.path.join(outdir, "results.h5"))
    status, out, err = run_main([outdir, "--bootstrap", "50"])
    figdir = os.path.join(outdir, "analysis")
    report = open(os.path.join(figdir, "report.txt")).read() if os.path.exists(os.path.join(figdir, "report.txt")) else ""
    check(status == 0 and err == "" and report == out, "EA end to end: exit 0, nothing on stderr, report.txt = stdout")
    pngs = ["binder.png", "xi_over_L.png", "swap_acceptance.png", "equilibration.png"]
    check(all(os.path.getsize(os.path.join(figdir, p)) > 1000 for p in pngs if os.path.exists(os.path.join(figdir, p)))
          and all(os.path.exists(os.path.join(figdir, p)) for p in pngs), f"EA end to end: figures {', '.join(pngs)}")
    tg, tx = crossing_T(report, "g", "L=4/L=8"), crossing_T(report, "xi/L", "L=4/L=8")
    check(tg is not None and abs(tg - 1.1) < 0.002, f"EA report: g crossing at 1.1 (printed {tg})")
    check(tx is not None and abs(tx - 1.05) < 0.002, f"EA report: xi/L crossing at 1.05 (printed {tx})")
    data = ca.load_campaign(os.path.join(outdir, "results.h5"))
    full = ca.find_crossing(data["sizes"][0]["T"], ca.size_curve(data["sizes"][0], "g"),
                            data["sizes"][1]["T"], ca.size_curve(data["sizes"][1], "g"))
    check([s["size"] for s in data["sizes"]] == [4, 8] and abs(full["T"] - 1.1) < 1e-9,
          f"load_campaign sorts sizes; full-data g crossing = 1.1 to 1e-9 ({full['T']})")
    check("L=4: equilibrated at the lowest temperature" in report and re.search(r"L=8: NOT equilibrated at the lowest temperature, T = 0\.850", report) is not None,
          "EA report: L=4 equilibrated, L=8 flagged at its lowest T only")
    check("2 x that error" in report and "T_c estimate" in report and "corrections to scaling" in report,
          "EA report: states the criterion, a T_c estimate and the caveat on small sizes")
    status2, out2, _ = run_main([outdir, "--bootstrap", "50", "--out", os.path.join(tmp, "ea-again")])
    check(status2 == 0 and out2.split("\nFiles:")[0] == out.split("\nFiles:")[0], "EA report is reproducible (fixed bootstrap seed)")


def check_one_sample(tmp):
    path = os.path.join(tmp, "one.h5")
    write_ea_campaign(path, samples=(1, 12))
    status, out, err = run_main([path, "--out", os.path.join(tmp, "one"), "--bootstrap", "20"])
    check(status == 0 and "(nan)" in out and "L=4: cannot tell" in out,
          "one-sample size: no crash, errors printed as nan, no equilibration verdict")


def check_end_to_end_sk(tmp):
    path = os.path.join(tmp, "sk.h5")
    write_sk_campaign(path)
    figdir = os.path.join(tmp, "sk")
    status, out, err = run_main([path, "--out", figdir, "--bootstrap", "20"])
    tg = crossing_T(out, "g", "N=16/N=32")
    check(status == 0 and os.path.exists(os.path.join(figdir, "pq.png")) and not os.path.exists(os.path.join(figdir, "xi_over_L.png")),
          "SK end to end: exit 0, pq.png written, no xi/L figure")
    check(tg is not None and abs(tg - 1.0) < 0.002, f"SK report: g crossing at 1.0 (printed {tg})")


def check_errors(tmp):
    status, out, err = run_main([os.path.join(tmp, "nowhere")])
    check(status == 1 and out == "" and err.count("\n") == 1 and "nowhere/results.h5" in err,
          f"missing file: exit 1, one line naming it ({err.strip()})")
    path = os.path.join(tmp, "broken.h5")
    write_ea_campaign(path)
    with h5py.File(path, "a") as f:
        del f["L8/observables/qk2"]
    status, out, err = run_main([path, "--out", os.path.join(tmp, "broken")])
    check(status == 1 and err.count("\n") == 1 and "broken.h5" in err and "/L8/observables/qk2" in err,
          f"missing dataset: exit 1, one line naming file and dataset ({err.strip()})")


def main():
    check_jackknife()
    check_formulas()
    check_crossings()
    check_equilibration()
    with tempfile.TemporaryDirectory(prefix="check_analysis-") as tmp:
        check_end_to_end_ea(tmp)
        check_one_sample(tmp)
        check_end_to_end_sk(tmp)
        check_errors(tmp)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
