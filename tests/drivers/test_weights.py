"""Relative weights and Shapley against independent computations on raw data (to 1e-6)."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd
import pytest

from cxgap.drivers.weights import pairwise_correlation, r_squared, relative_weights, shapley_r2


def _data(n: int = 400, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Four correlated drivers and an outcome."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    x = np.column_stack([common + rng.normal(scale=s, size=n) for s in (0.5, 0.8, 1.2, 2.0)])
    y = x @ np.array([0.6, 0.3, 0.2, 0.05]) + rng.normal(size=n)
    return x, y


def _ols_r2(x: np.ndarray, y: np.ndarray) -> float:
    """R-squared of an OLS fit with intercept (0 for no drivers)."""
    if x.shape[1] == 0:
        return 0.0
    design = np.column_stack([np.ones(len(y)), x])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(1 - np.sum((y - fitted) ** 2) / np.sum((y - y.mean()) ** 2))


def _corr(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    full = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    return full[:-1, :-1], full[:-1, -1]


def test_shapley_equals_the_average_gain_over_every_order_of_entry() -> None:
    x, y = _data()
    p = x.shape[1]
    gains = np.zeros(p)
    orders = list(permutations(range(p)))
    for order in orders:
        for k, j in enumerate(order):
            before = list(order[:k])
            gains[j] += _ols_r2(x[:, [*before, j]], y) - _ols_r2(x[:, before], y)
    expected = gains / len(orders)
    assert shapley_r2(*_corr(x, y)) == pytest.approx(expected, abs=1e-6)
    assert shapley_r2(*_corr(x, y)).sum() == pytest.approx(_ols_r2(x, y), abs=1e-9)


def test_relative_weights_equal_johnsons_computation_on_the_raw_data() -> None:
    """Johnson (2000) as published: orthogonalise the standardised data by SVD, regress y on Z and X on Z."""
    x, y = _data()
    n = len(y)
    xs = (x - x.mean(0)) / x.std(0, ddof=1)
    ys = (y - y.mean()) / y.std(ddof=1)
    u, delta, vt = np.linalg.svd(xs, full_matrices=False)
    z = u @ vt * np.sqrt(n - 1)  # the orthogonal variables closest to X
    beta = np.linalg.lstsq(z, ys, rcond=None)[0]
    loadings = np.linalg.lstsq(z, xs, rcond=None)[0]  # X regressed on Z
    expected = (loadings.T**2) @ (beta**2)
    weights = relative_weights(*_corr(x, y))
    assert weights == pytest.approx(expected, abs=1e-6)
    assert weights.sum() == pytest.approx(_ols_r2(x, y), abs=1e-9)


def test_uncorrelated_drivers_get_their_squared_correlation_from_both_methods() -> None:
    rxx = np.eye(3)
    rxy = np.array([0.5, 0.3, 0.1])
    assert relative_weights(rxx, rxy) == pytest.approx(rxy**2, abs=1e-12)
    assert shapley_r2(rxx, rxy) == pytest.approx(rxy**2, abs=1e-12)
    assert r_squared(rxx, rxy) == pytest.approx(0.35)


def test_pairwise_correlation_matches_pandas_with_and_without_missing_answers() -> None:
    x, y = _data(n=300)
    data = np.column_stack([x, y])
    assert pairwise_correlation(data) == pytest.approx(np.corrcoef(data, rowvar=False), abs=1e-10)
    holes = data.copy()
    rng = np.random.default_rng(0)
    holes[rng.random(holes.shape) < 0.15] = np.nan
    expected = pd.DataFrame(holes).corr().to_numpy()
    assert pairwise_correlation(holes) == pytest.approx(expected, abs=1e-10)


def test_bootstrap_weights_of_ones_change_nothing_and_counts_act_as_repeats() -> None:
    x, y = _data(n=50)
    data = np.column_stack([x, y])
    counts = np.random.default_rng(1).poisson(1.0, size=len(data)).astype(float)
    repeated = np.repeat(data, counts.astype(int), axis=0)
    assert pairwise_correlation(data, counts) == pytest.approx(np.corrcoef(repeated, rowvar=False), abs=1e-10)
