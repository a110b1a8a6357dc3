"""Compiled kernels (numba) for the hint propagation (pipeline.hints.Propagator): the affinity
operator and its conjugate-gradient solve, each one pass with the GIL released. Only called where
`colorize_cli.colour.kernels.available()` (numba there, COLORIZE_JIT not 0)."""
from __future__ import annotations

import numpy as np

from colorize_cli.colour.kernels import _njit


@_njit()
def affinity_apply(u, total, w_r, w_d, w_dr, w_dl, out):
    """out = A u for the hint propagation's operator (pipeline.hints.Propagator), in one pass:
    total = degree + diagonal terms; w_r links (y, x)-(y, x+1), w_d (y, x)-(y+1, x), w_dr
    (y, x)-(y+1, x+1), w_dl (y, x)-(y+1, x-1) (zero where the neighbour is outside)."""
    C, H, W = u.shape
    for c in range(C):
        for y in range(H):
            for x in range(W):
                s = total[y, x] * u[c, y, x]
                if x + 1 < W:
                    s -= w_r[y, x] * u[c, y, x + 1]
                if x > 0:
                    s -= w_r[y, x - 1] * u[c, y, x - 1]
                if y + 1 < H:
                    s -= w_d[y, x] * u[c, y + 1, x]
                    if x + 1 < W:
                        s -= w_dr[y, x] * u[c, y + 1, x + 1]
                    if x > 0:
                        s -= w_dl[y, x] * u[c, y + 1, x - 1]
                if y > 0:
                    s -= w_d[y - 1, x] * u[c, y - 1, x]
                    if x > 0:
                        s -= w_dr[y - 1, x - 1] * u[c, y - 1, x - 1]
                    if x + 1 < W:
                        s -= w_dl[y - 1, x + 1] * u[c, y - 1, x + 1]
                out[c, y, x] = s


@_njit()
def _cg_start(rhs, c, ap, total, r, z, p):
    """r = rhs - A x (ap holds A x), z = p = r / diag; returns (r.r, rhs.rhs, r.z)."""
    H, W = total.shape
    rr = bb = rz = 0.0
    for y in range(H):
        for i in range(W):
            r[0, y, i] = rhs[c, y, i] - ap[0, y, i]
            z[0, y, i] = r[0, y, i] / total[y, i]
            p[0, y, i] = z[0, y, i]
            rz += r[0, y, i] * z[0, y, i]
            rr += r[0, y, i] * r[0, y, i]
            bb += rhs[c, y, i] * rhs[c, y, i]
    return rr, bb, rz


@_njit()
def _cg_update(x, c, p, ap, total, r, z, alpha):
    """x += alpha p, r -= alpha A p, z = r / diag; returns (r.r, r.z)."""
    H, W = total.shape
    rr = rz = 0.0
    for y in range(H):
        for i in range(W):
            x[c, y, i] += alpha * p[0, y, i]
            r[0, y, i] -= alpha * ap[0, y, i]
            z[0, y, i] = r[0, y, i] / total[y, i]
            rr += r[0, y, i] * r[0, y, i]
            rz += r[0, y, i] * z[0, y, i]
    return rr, rz


@_njit()
def affinity_cg(rhs, x, total, w_r, w_d, w_dr, w_dl, iters, tol):
    """Jacobi-preconditioned conjugate gradients for A x = rhs with A as in affinity_apply, each
    channel on its own, x (the start) updated in place; stops when |r| < tol |rhs| or after iters."""
    C, H, W = rhs.shape
    r, z = np.empty((1, H, W), np.float32), np.empty((1, H, W), np.float32)
    p, ap = np.empty((1, H, W), np.float32), np.empty((1, H, W), np.float32)
    for c in range(C):
        affinity_apply(x[c:c + 1], total, w_r, w_d, w_dr, w_dl, ap)
        rr, bb, rz = _cg_start(rhs, c, ap, total, r, z, p)
        stop = tol * tol * max(bb, 1e-20)
        for _ in range(iters):
            if rr < stop:
                break
            affinity_apply(p, total, w_r, w_d, w_dr, w_dl, ap)
            pap = 0.0
            for y in range(H):
                for i in range(W):
                    pap += p[0, y, i] * ap[0, y, i]
            rr, rz_new = _cg_update(x, c, p, ap, total, r, z, rz / max(pap, 1e-30))
            beta = rz_new / max(rz, 1e-30)
            rz = rz_new
            for y in range(H):
                for i in range(W):
                    p[0, y, i] = z[0, y, i] + beta * p[0, y, i]
    return x
