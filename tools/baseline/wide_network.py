#!/usr/bin/env python3
"""What a researcher would do today with NumPy/SciPy for the paper's wide-network experiment (theory.md §7.3).

Problem: N = 100 samples, input dim n = 400, m = 1, X entries N(0, 1/400), Y = X Θ + ε, Θ ~ N(0, I/n),
ε ~ N(0, 0.01²); U(0), V(0) entries N(0, 1/h) (α = 1/2). Either generated here from --seed (NumPy's generator),
or, with --data-dir DIR, read from .npy files written by `gfmc bench` so that both sides integrate the very same
starts:  DIR/X.npy (N×n), DIR/Y.npy (N×m), DIR/U0_h{width}_t{trial}.npy (n×h), DIR/V0_h{width}_t{trial}.npy (m×h).

Methods, timed per trial (the clock runs around the integration only, not data loading):
  gd   (a) the paper's own procedure: full-width gradient descent on the mean loss (1/N)‖Y − X U Vᵀ‖² with
       η = 5e-3, simultaneous updates, until that loss is below 1e-8. L* = 0 here (N < n, X of full row rank),
       so this is the paper's stopping rule exactly.
  ivp  (b) scipy.integrate.solve_ivp on the full weights of the gradient flow of ½‖Y − XUVᵀ‖² (DOP853 by
       default, rtol = 1e-10, atol = 1e-12: the accuracy `gfmc`'s weights engine is run at), with a terminal
       event when the excess loss ½‖·‖² − L* falls below 1e-12. Only the state at the event is kept
       (t_eval = [t_max]); solve_ivp's default of storing every step would need gigabytes at h = 10 000.
  reduced  (c) the same exact width-independent reduction gfmc's `sampled` engine integrates (theory.md §5):
       dK/dt = S K + K S, dΦ/dt = S Φ with S = [[0, B], [Bᵀ, 0]], B = Σx^{1/2}(Ỹ − Σx^{1/2} K₁₂), for the
       reduced Gram matrix K_r ((r+m)×(r+m)) and the transition matrix Φ (Φ(0) = I), with SciPy's DOP853
       stepper (scipy.integrate.DOP853, rtol = 1e-10, atol = 1e-14: the sampled engine's tolerances, applied by
       SciPy to every entry where gfmc applies them to the norm of each block), the right-hand side using
       rank S ≤ 2m (S K from B and the blocks of K, never a (r+m)³ product). It stops
       with gfmc's rule, checked after every accepted step (IntegrationSettings): excess ½-loss ≤ 1e-12,
       remaining relative motion 2μ/ρ ≤ 1e-8, and the row-space residual ‖Σx^{-1/2}E‖_F ≤ 1e-8·‖Θ̂‖_F +
       100·rtol·‖K₁₂‖_F. Its distance is ‖U2(0)V(∞)ᵀ‖_F = ‖C(0) Φ_Vᵀ‖_F, Φ_V the last m rows of Φ(∞).
       Needs --data-dir with the reduced problem and the starts gfmc's `sampled` engine drew:
       DIR/sqrt_sigma.npy (r×1, Σx^{1/2}), DIR/Ytilde.npy (r×m, Ỹ = WᵀY), DIR/K0_h{width}_t{trial}.npy
       (K_r(0)) and DIR/C0_h{width}_t{trial}.npy (C(0) = U2(0) Z_r(0)ᵀ, (n−r)×(r+m)).

Budgets: --gd-max-seconds / --ivp-max-seconds (ivp and reduced) stop a trial that runs longer; its record then says
"completed": false with the work done so far (iterations or RHS evaluations) and the seconds spent, so a caller
can extrapolate per-iteration time (gd) or report a lower bound (ivp). Nothing is hidden.

Prints one JSON object per (method, width, trial) on stdout, one per line:
  method, width, trial, seconds, cpu_seconds (time.thread_time() over the same span), work (gd iterations / ivp
  and reduced RHS evaluations), completed, seconds_per_work, final_loss (the method's own loss), distance_frobenius (‖U Vᵀ − Θ̂‖_F at the end).
Used by `gfmc bench` for ratios measured in the same run. Set OPENBLAS_NUM_THREADS=1 for a one-core comparison.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from scipy.integrate import DOP853, solve_ivp


def make_problem(seed, samples=100, input_dim=400, output_dim=1, noise=0.01):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0 / np.sqrt(input_dim), size=(samples, input_dim))
    theta = rng.normal(0.0, 1.0 / np.sqrt(input_dim), size=(input_dim, output_dim))
    y = x @ theta + rng.normal(0.0, noise, size=(samples, output_dim))
    return x, y


def initial_weights(seed, width, input_dim, output_dim):
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(width)
    return rng.normal(0, scale, size=(input_dim, width)), rng.normal(0, scale, size=(output_dim, width))


def run_gd(x, y, theta_hat, optimal_loss, u, v, step=5e-3, loss_tol=1e-8, max_iter=1_000_000, max_seconds=None):
    """The paper's GD on (1/N)‖Y − XUVᵀ‖². Returns (iterations, completed, final mean loss, distance)."""
    n_samples = x.shape[0]
    lr = 2.0 * step / n_samples  # gradient of (1/N)‖R‖² w.r.t. U is −(2/N) Xᵀ R V
    start = time.perf_counter()
    iterations, completed = 0, False
    while iterations < max_iter:
        r = y - x @ (u @ v.T)
        loss = (r * r).sum() / n_samples
        if loss < loss_tol:
            completed = True
            break
        if max_seconds is not None and iterations % 100 == 0 and time.perf_counter() - start > max_seconds:
            break
        g = x.T @ r
        u, v = u + lr * (g @ v), v + lr * (g.T @ u)
        iterations += 1
    r = y - x @ (u @ v.T)
    return iterations, completed, float((r * r).sum() / n_samples), float(np.linalg.norm(u @ v.T - theta_hat))


class _OutOfTime(Exception):
    pass


def run_ivp(x, y, theta_hat, optimal_loss, u, v, method="DOP853", rtol=1e-10, atol=1e-12, excess_tol=1e-12,
            t_max=1e6, max_seconds=None):
    """solve_ivp on the full weights. Returns (RHS evaluations, completed, final ½-loss, distance)."""
    n, h = u.shape
    m = v.shape[0]
    xtx, xty = x.T @ x, x.T @ y
    counter = {"nfev": 0}
    start = time.perf_counter()

    def rhs(_, z):
        counter["nfev"] += 1
        if max_seconds is not None and counter["nfev"] % 16 == 0 and time.perf_counter() - start > max_seconds:
            raise _OutOfTime()
        uu = z[: n * h].reshape(n, h)
        vv = z[n * h:].reshape(m, h)
        g = xty - xtx @ (uu @ vv.T)  # Xᵀ R without forming X U
        return np.concatenate(((g @ vv).ravel(), (g.T @ uu).ravel()))

    def half_loss(z):
        uu = z[: n * h].reshape(n, h)
        vv = z[n * h:].reshape(m, h)
        r = y - x @ (uu @ vv.T)
        return 0.5 * float((r * r).sum())

    def converged(_, z):
        return half_loss(z) - optimal_loss - excess_tol

    converged.terminal = True
    z0 = np.concatenate((u.ravel(), v.ravel()))
    try:
        sol = solve_ivp(rhs, (0.0, t_max), z0, method=method, rtol=rtol, atol=atol, events=converged,
                        t_eval=[t_max])
    except _OutOfTime:
        return counter["nfev"], False, float("nan"), float("nan")
    if sol.status == 1 and len(sol.y_events[0]) > 0:
        z, completed = sol.y_events[0][-1], True
    else:
        z, completed = sol.y[:, -1], False
    uu = z[: n * h].reshape(n, h)
    vv = z[n * h:].reshape(m, h)
    return sol.nfev, completed, half_loss(z), float(np.linalg.norm(uu @ vv.T - theta_hat))


def run_reduced(sqrt_sigma, y_tilde, k0, c0, rtol=1e-10, atol=1e-14, excess_tol=1e-12, theta_tol=1e-8,
                t_max=1e6, max_steps=1_000_000, max_seconds=None):
    """The reduced flow (K_r, Φ) with SciPy's DOP853 stepper and gfmc's stopping rule.

    Returns (RHS evaluations, completed, final excess ½-loss, distance ‖C(0) Φ_Vᵀ‖_F)."""
    r, m = y_tilde.shape
    d = r + m
    s = sqrt_sigma.reshape(r, 1)
    theta_hat_norm = float(np.linalg.norm(y_tilde / s))
    counter = {"nfev": 0}
    start = time.perf_counter()

    def rhs(_, z):
        counter["nfev"] += 1
        k = z[: d * d].reshape(d, d)
        phi = z[d * d:].reshape(d, d)
        b = s * (y_tilde - s * k[:r, r:])
        # T = S K has rows B K[r:, :] (top) and Bᵀ K[:r, :] (bottom); dK = T + Tᵀ, dΦ = S Φ likewise.
        t = np.vstack((b @ k[r:, :], b.T @ k[:r, :]))
        dphi = np.vstack((b @ phi[r:, :], b.T @ phi[:r, :]))
        return np.concatenate(((t + t.T).ravel(), dphi.ravel()))

    def converged(z, dz):
        k12 = z[: d * d].reshape(d, d)[:r, r:]
        e = y_tilde - s * k12
        b = s * e
        excess = 0.5 * float((e * e).sum())
        motion = float(np.sqrt((b * b).sum()))
        row_space = float(np.sqrt(((e / s) ** 2).sum()))
        # tr(S K S) = ⟨B, dK₁₂⟩ (dK₁₂ = B K₂₂ + K₁₁ B).
        dissipation = float((b * dz[: d * d].reshape(d, d)[:r, r:]).sum())
        rate = dissipation / excess if excess > 0 else float("nan")
        if motion == 0:
            remaining = 0.0
        else:
            remaining = 2 * motion / rate if rate > 0 and np.isfinite(rate) else float("inf")
        row_ok = row_space <= theta_tol * theta_hat_norm + 100 * rtol * float(np.linalg.norm(k12))
        return excess <= excess_tol and remaining <= theta_tol and row_ok, excess

    z0 = np.concatenate((k0.ravel(), np.eye(d).ravel()))
    solver = DOP853(rhs, 0.0, z0, t_max, rtol=rtol, atol=atol)
    done, excess = converged(solver.y, solver.f)
    steps = 0
    while not done and solver.status == "running" and steps < max_steps:
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
        solver.step()
        steps += 1
        if solver.status == "failed":
            break
        done, excess = converged(solver.y, solver.f)
    phi = solver.y[d * d:].reshape(d, d)
    distance = float(np.linalg.norm(c0 @ phi[r:, :].T))
    return counter["nfev"], done, excess, distance


def _finite_or_none(value):
    """JSON has no NaN: a quantity that was not computed (a trial stopped by its budget) is null."""
    return value if np.isfinite(value) else None


def print_record(method, width, trial, start, cpu_start, work, completed, final_loss, distance):
    """Prints one trial's JSON line; `start`/`cpu_start` are the perf_counter/thread_time readings before it."""
    seconds, cpu_seconds = time.perf_counter() - start, time.thread_time() - cpu_start
    print(json.dumps({"method": method, "width": width, "trial": trial, "seconds": seconds,
                      "cpu_seconds": cpu_seconds,
                      "work": int(work), "completed": bool(completed),
                      "seconds_per_work": seconds / work if work > 0 else None,
                      "final_loss": _finite_or_none(final_loss),
                      "distance_frobenius": _finite_or_none(distance)}), flush=True)


def load_case(data_dir, width, trial):
    u = np.load(os.path.join(data_dir, f"U0_h{width}_t{trial}.npy"))
    v = np.load(os.path.join(data_dir, f"V0_h{width}_t{trial}.npy"))
    return np.ascontiguousarray(u, dtype=np.float64), np.ascontiguousarray(v, dtype=np.float64)


def load_start(data_dir, width, trial):
    k0 = np.load(os.path.join(data_dir, f"K0_h{width}_t{trial}.npy"))
    c0 = np.load(os.path.join(data_dir, f"C0_h{width}_t{trial}.npy"))
    return np.ascontiguousarray(k0, dtype=np.float64), np.ascontiguousarray(c0, dtype=np.float64)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="+", default=[500, 2000, 10000])
    parser.add_argument("--methods", nargs="+", default=["gd", "ivp"], choices=["gd", "ivp", "reduced"])
    parser.add_argument("--trials", type=int, default=1, help="trials 0..K-1 per width")
    parser.add_argument("--seed", type=int, default=1, help="data and init seed when --data-dir is not given")
    parser.add_argument("--data-dir", help="read X.npy, Y.npy, U0_h{h}_t{i}.npy, V0_h{h}_t{i}.npy from here")
    parser.add_argument("--gd-max-seconds", type=float, default=None, help="stop a GD trial after this long")
    parser.add_argument("--ivp-max-seconds", type=float, default=None, help="stop an ivp trial after this long")
    parser.add_argument("--ivp-method", default="DOP853", choices=["DOP853", "RK45", "Radau", "BDF", "LSODA"])
    args = parser.parse_args(argv)
    if "reduced" in args.methods and not args.data_dir:
        parser.error("method reduced needs --data-dir (the reduced problem and gfmc's sampled starts)")
    if args.data_dir:
        x = np.ascontiguousarray(np.load(os.path.join(args.data_dir, "X.npy")), dtype=np.float64)
        y = np.ascontiguousarray(np.load(os.path.join(args.data_dir, "Y.npy")), dtype=np.float64)
    else:
        x, y = make_problem(args.seed)
    x_pinv = np.linalg.pinv(x)
    theta_hat = x_pinv @ y
    r_star = y - x @ theta_hat
    optimal_half_loss = 0.5 * float((r_star * r_star).sum())
    if "reduced" in args.methods:
        sqrt_sigma = np.load(os.path.join(args.data_dir, "sqrt_sigma.npy")).astype(np.float64).ravel()
        y_tilde = np.ascontiguousarray(np.load(os.path.join(args.data_dir, "Ytilde.npy")), dtype=np.float64)
    for method in args.methods:
        for width in args.widths:
            for trial in range(args.trials):
                if method == "reduced":
                    k0, c0 = load_start(args.data_dir, width, trial)
                    start, cpu_start = time.perf_counter(), time.thread_time()
                    work, completed, excess, distance = run_reduced(sqrt_sigma, y_tilde, k0, c0,
                                                                    max_seconds=args.ivp_max_seconds)
                    print_record(method, width, trial, start, cpu_start, work, completed,
                                 optimal_half_loss + excess, distance)
                    continue
                if args.data_dir:
                    u, v = load_case(args.data_dir, width, trial)
                else:
                    u, v = initial_weights(args.seed * 1_000_003 + width * 101 + trial, width, x.shape[1], y.shape[1])
                start, cpu_start = time.perf_counter(), time.thread_time()
                if method == "gd":
                    work, completed, loss, distance = run_gd(x, y, theta_hat, optimal_half_loss, u, v,
                                                             max_seconds=args.gd_max_seconds)
                else:
                    work, completed, loss, distance = run_ivp(x, y, theta_hat, optimal_half_loss, u, v,
                                                              method=args.ivp_method,
                                                              max_seconds=args.ivp_max_seconds)
                print_record(method, width, trial, start, cpu_start, work, completed, loss, distance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
