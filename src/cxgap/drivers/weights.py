"""Importance of correlated drivers from a correlation matrix: Johnson's relative weights and Shapley (LMG).

Both split the model's R-squared among the drivers, so each weight reads as "the share of the outcome's
explained variance this driver accounts for", even when drivers are correlated (where regression
coefficients mislead). Neither has a sign: the standardised coefficients and correlations give each driver's
direction. Everything here is pure linear algebra on small matrices.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float64]

MAX_SHAPLEY_DRIVERS = 15  # 2^15 subset regressions; beyond that, orders of entry are sampled
SHAPLEY_PERMUTATIONS = 2_000  # sampled orders of entry for the estimate beyond MAX_SHAPLEY_DRIVERS


def pairwise_correlation(data: Matrix, weights: NDArray[np.float64] | None = None) -> Matrix:
    """Correlations from pairwise-complete rows (NaN = not answered), optionally weighted (bootstrap).

    Pairwise deletion keeps every answer a driver has, instead of dropping whole rows for one
    "not applicable"; the matrix is then repaired to the nearest positive semi-definite one if needed.
    """
    present = ~np.isnan(data)
    x = np.where(present, data, 0.0)
    w = np.ones(len(data)) if weights is None else weights
    m = present * w[:, None]
    n = present.T.astype(float) @ m  # n[i, j]: weight of rows with both i and j
    s = x.T @ m  # s[i, j]: sum of x_i over rows with both
    ss = (x * x).T @ m
    sp = (x * w[:, None]).T @ x
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = n * sp - s * s.T
        var_i = n * ss - s * s
        corr = cov / np.sqrt(var_i * var_i.T)
    np.fill_diagonal(corr, 1.0)
    return _nearest_psd(np.nan_to_num(corr))


def _nearest_psd(corr: Matrix) -> Matrix:
    values, vectors = np.linalg.eigh(corr)
    if values.min() >= -1e-10:
        return corr
    fixed = vectors @ np.diag(np.clip(values, 1e-8, None)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return np.asarray(fixed / np.outer(scale, scale), dtype=np.float64)


def r_squared(rxx: Matrix, rxy: NDArray[np.float64]) -> float:
    """R-squared of the outcome on all drivers, from correlations."""
    beta = np.linalg.lstsq(rxx, rxy, rcond=None)[0]
    return float(rxy @ beta)


def standardised_coefficients(rxx: Matrix, rxy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standardised regression coefficients (betas) of the outcome on all drivers: each driver's sign once
    the other drivers are held fixed."""
    return np.asarray(np.linalg.lstsq(rxx, rxy, rcond=None)[0], dtype=np.float64)


def relative_weights(rxx: Matrix, rxy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Johnson's (2000) relative weights: raw weights that add up to R-squared.

    The drivers are replaced by their closest orthogonal counterparts Z = X R^(-1/2) (via the eigen-
    decomposition of R); the outcome's R-squared on Z splits exactly, and each driver gets back the part
    of every Z it loads on.
    """
    values, vectors = np.linalg.eigh(rxx)
    root = vectors @ np.diag(np.sqrt(np.clip(values, 0.0, None))) @ vectors.T  # corr(X, Z)
    beta = np.linalg.lstsq(root, rxy, rcond=None)[0]  # outcome on Z
    return np.asarray((root**2) @ (beta**2), dtype=np.float64)


def _all_subset_r2(rxx: Matrix, rxy: NDArray[np.float64]) -> NDArray[np.float64]:
    """R-squared of every subset of drivers, indexed by bit mask (subset sizes solved in batches)."""
    p = len(rxy)
    out = np.zeros(1 << p)
    for size in range(1, p + 1):
        subsets = np.array(list(combinations(range(p), size)))
        sub_rxx = rxx[subsets[:, :, None], subsets[:, None, :]]
        sub_rxy = rxy[subsets]
        beta = np.linalg.solve(sub_rxx + np.eye(size) * 1e-12, sub_rxy[..., None])[..., 0]
        masks = (1 << subsets).sum(axis=1)
        out[masks] = np.einsum("ij,ij->i", sub_rxy, beta)
    return out


def shapley_r2(rxx: Matrix, rxy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Shapley value decomposition of R-squared (LMG): each driver's average gain in R-squared when it
    joins a regression, over all orders of entry. Exact over all 2^p subsets (p <= 15); beyond that, see
    `sampled_shapley_r2`."""
    p = len(rxy)
    if p > MAX_SHAPLEY_DRIVERS:
        raise ValueError(f"Shapley regression needs {MAX_SHAPLEY_DRIVERS} drivers or fewer (got {p})")
    r2 = _all_subset_r2(rxx, rxy)
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in masks])
    order_weight = np.array(
        [math.factorial(k) * math.factorial(p - k - 1) for k in range(p)]
    ) / math.factorial(p)
    out = np.zeros(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        out[j] = float(np.sum(order_weight[sizes[without]] * (r2[without | (1 << j)] - r2[without])))
    return out


def sampled_shapley_r2(
    rxx: Matrix, rxy: NDArray[np.float64], rng: np.random.Generator, permutations: int = SHAPLEY_PERMUTATIONS
) -> NDArray[np.float64]:
    """Shapley values (LMG) estimated over randomly sampled orders of entry, for any number of drivers.

    In one order, the Cholesky factor L of the reordered correlations gives every gain at once: with
    z = L^-1 r, the driver entering k-th adds z_k^2 to R-squared. Each order is paired with its reverse
    (antithetic sampling, less variance), and each order's gains add up to R-squared exactly.
    """
    p = len(rxy)
    half = max(1, permutations // 2)
    orders = np.argsort(rng.random((half, p)), axis=1)
    orders = np.concatenate([orders, orders[:, ::-1]])
    total = np.zeros(p)
    jitter = np.eye(p) * 1e-9  # keeps exactly collinear drivers factorable; their gain stays ~0
    for start in range(0, len(orders), 256):
        block = orders[start : start + 256]
        factor = np.linalg.cholesky(rxx[block[:, :, None], block[:, None, :]] + jitter)
        z = np.linalg.solve(factor, rxy[block][..., None])[..., 0]
        total += np.bincount(block.ravel(), weights=(z**2).ravel(), minlength=p)
    return total / len(orders)
