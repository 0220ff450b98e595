#!/usr/bin/env python3
"""What a researcher would do today with NumPy/SciPy for the paper's wide-network experiment (theory.md §7.3).

Problem: N = 100 samples, input dim n = 400, m = 1, X entries N(0, 1/400), Y = X Θ + ε, Θ ~ N(0, I/n), ε ~ N(0, 0.01²);
U(0), V(0) entries N(0, 1/h) (α = 1/2).

Methods, timed per trial:
  gd   the paper's own procedure: full-width gradient descent on (1/N)‖Y − X U Vᵀ‖² with η = 5e-3 until that loss
       (minus its optimum, which is ~0 here because N < n) is below 1e-8;
  ivp  scipy.integrate.solve_ivp (DOP853) on the full weights of the ½‖·‖² gradient flow until the excess loss is below
       1e-12 (½-loss units), rtol = 1e-10, atol = 1e-12.
Prints one JSON object per (method, width) on stdout: seconds per trial, iterations / RHS evaluations, final distance
to the min-norm solution. Used by `gfmc bench` for ratios measured in the same run.
"""
import argparse
import json
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp


def make_problem(seed, samples=100, input_dim=400, output_dim=1, noise=0.01):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0 / np.sqrt(input_dim), size=(samples, input_dim))
    theta = rng.normal(0.0, 1.0 / np.sqrt(input_dim), size=(input_dim, output_dim))
    y = x @ theta + rng.normal(0.0, noise, size=(samples, output_dim))
    theta_hat = np.linalg.pinv(x) @ y
    return x, y, theta_hat


def initial_weights(seed, width, input_dim, output_dim):
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(width)
    return rng.normal(0, scale, size=(input_dim, width)), rng.normal(0, scale, size=(output_dim, width))


def run_gd(x, y, theta_hat, u, v, step=5e-3, loss_tol=1e-8, max_iter=400_000):
    n_samples = x.shape[0]
    lr = 2.0 * step / n_samples
    for k in range(max_iter):
        r = y - x @ (u @ v.T)
        loss = (r * r).sum() / n_samples
        if loss < loss_tol:
            break
        g = x.T @ r
        u, v = u + lr * (g @ v), v + lr * (g.T @ u)
    return k, np.linalg.norm(u @ v.T - theta_hat)


def run_ivp(x, y, theta_hat, u, v, rtol=1e-10, atol=1e-12, excess_tol=1e-12, t_max=1e6):
    n, h = u.shape
    m = v.shape[0]
    xtx, xty = x.T @ x, x.T @ y

    def rhs(_, z):
        uu = z[: n * h].reshape(n, h)
        vv = z[n * h:].reshape(m, h)
        g = xty - xtx @ (uu @ vv.T)  # Xᵀ R without forming X U
        return np.concatenate(((g @ vv).ravel(), (g.T @ uu).ravel()))

    def converged(_, z):
        uu = z[: n * h].reshape(n, h)
        vv = z[n * h:].reshape(m, h)
        r = y - x @ (uu @ vv.T)
        return 0.5 * (r * r).sum() - excess_tol

    converged.terminal = True
    sol = solve_ivp(rhs, (0.0, t_max), np.concatenate((u.ravel(), v.ravel())), method="DOP853",
                    rtol=rtol, atol=atol, events=converged)
    z = sol.y[:, -1]
    uu = z[: n * h].reshape(n, h)
    vv = z[n * h:].reshape(m, h)
    return sol.nfev, np.linalg.norm(uu @ vv.T - theta_hat)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="+", default=[500, 2000, 10000])
    parser.add_argument("--methods", nargs="+", default=["gd", "ivp"], choices=["gd", "ivp"])
    parser.add_argument("--trials", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    x, y, theta_hat = make_problem(args.seed)
    for method in args.methods:
        for width in args.widths:
            for trial in range(args.trials):
                u, v = initial_weights(args.seed * 1_000_003 + width * 101 + trial, width, x.shape[1], y.shape[1])
                start = time.perf_counter()
                work, distance = (run_gd if method == "gd" else run_ivp)(x, y, theta_hat, u, v)
                seconds = time.perf_counter() - start
                print(json.dumps({"method": method, "width": width, "trial": trial, "seconds": seconds,
                                  "work": int(work), "distance_frobenius": float(distance)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
