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

Budgets: --gd-max-seconds / --ivp-max-seconds stop a trial that runs longer; its record then says
"completed": false with the work done so far (iterations or RHS evaluations) and the seconds spent, so a caller
can extrapolate per-iteration time (gd) or report a lower bound (ivp). Nothing is hidden.

Prints one JSON object per (method, width, trial) on stdout, one per line:
  method, width, trial, seconds, work (gd iterations / ivp RHS evaluations), completed,
  seconds_per_work, final_loss (the method's own loss), distance_frobenius (‖U Vᵀ − Θ̂‖_F at the end).
Used by `gfmc bench` for ratios measured in the same run. Set OPENBLAS_NUM_THREADS=1 for a one-core comparison.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp


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


def _finite_or_none(value):
    """JSON has no NaN: a quantity that was not computed (a trial stopped by its budget) is null."""
    return value if np.isfinite(value) else None


def load_case(data_dir, width, trial):
    u = np.load(os.path.join(data_dir, f"U0_h{width}_t{trial}.npy"))
    v = np.load(os.path.join(data_dir, f"V0_h{width}_t{trial}.npy"))
    return np.ascontiguousarray(u, dtype=np.float64), np.ascontiguousarray(v, dtype=np.float64)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="+", default=[500, 2000, 10000])
    parser.add_argument("--methods", nargs="+", default=["gd", "ivp"], choices=["gd", "ivp"])
    parser.add_argument("--trials", type=int, default=1, help="trials 0..K-1 per width")
    parser.add_argument("--seed", type=int, default=1, help="data and init seed when --data-dir is not given")
    parser.add_argument("--data-dir", help="read X.npy, Y.npy, U0_h{h}_t{i}.npy, V0_h{h}_t{i}.npy from here")
    parser.add_argument("--gd-max-seconds", type=float, default=None, help="stop a GD trial after this long")
    parser.add_argument("--ivp-max-seconds", type=float, default=None, help="stop an ivp trial after this long")
    parser.add_argument("--ivp-method", default="DOP853", choices=["DOP853", "RK45", "Radau", "BDF", "LSODA"])
    args = parser.parse_args(argv)
    if args.data_dir:
        x = np.ascontiguousarray(np.load(os.path.join(args.data_dir, "X.npy")), dtype=np.float64)
        y = np.ascontiguousarray(np.load(os.path.join(args.data_dir, "Y.npy")), dtype=np.float64)
    else:
        x, y = make_problem(args.seed)
    x_pinv = np.linalg.pinv(x)
    theta_hat = x_pinv @ y
    r_star = y - x @ theta_hat
    optimal_half_loss = 0.5 * float((r_star * r_star).sum())
    for method in args.methods:
        for width in args.widths:
            for trial in range(args.trials):
                if args.data_dir:
                    u, v = load_case(args.data_dir, width, trial)
                else:
                    u, v = initial_weights(args.seed * 1_000_003 + width * 101 + trial, width, x.shape[1], y.shape[1])
                start = time.perf_counter()
                if method == "gd":
                    work, completed, loss, distance = run_gd(x, y, theta_hat, optimal_half_loss, u, v,
                                                             max_seconds=args.gd_max_seconds)
                else:
                    work, completed, loss, distance = run_ivp(x, y, theta_hat, optimal_half_loss, u, v,
                                                              method=args.ivp_method,
                                                              max_seconds=args.ivp_max_seconds)
                seconds = time.perf_counter() - start
                print(json.dumps({"method": method, "width": width, "trial": trial, "seconds": seconds,
                                  "work": int(work), "completed": bool(completed),
                                  "seconds_per_work": seconds / work if work > 0 else None,
                                  "final_loss": _finite_or_none(loss),
                                  "distance_frobenius": _finite_or_none(distance)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
