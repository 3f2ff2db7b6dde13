"""Signed, readable drivers: a planted negative driver is signed and said in words, Shapley values stay
finite with intervals beyond 15 drivers, and performance and quadrants appear only for rating drivers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxgap.drivers import QUADRANTS, DriverData, key_drivers
from cxgap.drivers.weights import sampled_shapley_r2, shapley_r2


def _survey(n: int, weights: list[float], seed: int, correlated: float = 0.4) -> np.ndarray:
    """Rows of 1-5 ratings sharing a common factor, and an outcome built from `weights` plus noise."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(n, 1))
    latent = correlated * common + rng.normal(size=(n, len(weights)))
    ratings = np.clip(np.round(3 + latent), 1, 5)
    outcome = ratings @ np.array(weights) + rng.normal(scale=1.0, size=n)
    return np.column_stack([ratings, outcome])


def _report(values: np.ndarray, names: tuple[str, ...], outcome: str = "csat", **kwargs: object):
    data = DriverData(names, values, len(values))
    return key_drivers(data, outcome, "items", replicates=kwargs.pop("replicates", 60), **kwargs)  # type: ignore[arg-type]


def test_a_planted_negative_driver_is_signed_and_said_in_words() -> None:
    values = _survey(1_500, [0.6, -0.5, 0.3], seed=2, correlated=0.0)
    report = _report(values, ("staff", "delays", "food"))
    found = {d.name: d for d in report.drivers}
    delays = found["delays"]
    assert delays.direction == "negative"
    assert delays.correlation_high < 0 and delays.coefficient_high < 0
    assert delays.correlation_low <= delays.correlation <= delays.correlation_high
    assert delays.in_words.startswith("higher delays goes with lower satisfaction")
    for name in ("staff", "food"):
        assert found[name].direction == "positive" and found[name].correlation_low > 0
        assert "lower" not in found[name].in_words
    assert [w.split(" (")[0] for w in report.against()] == ["higher delays goes with lower satisfaction"]


def test_a_driver_whose_sign_flips_once_the_others_are_held_fixed_is_called_mixed() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(size=3_000)
    close = base + rng.normal(scale=0.5, size=3_000)  # travels with base, but its own part hurts
    outcome = 2 * base - close + rng.normal(scale=0.5, size=3_000)
    report = _report(np.column_stack([base, close, outcome]), ("base", "close"), "nps")
    close_driver = next(d for d in report.drivers if d.name == "close")
    assert close_driver.correlation > 0 > close_driver.coefficient
    assert close_driver.direction == "mixed"
    assert "lower likelihood to recommend once the other drivers are held fixed" in close_driver.in_words


def test_sampled_shapley_values_match_the_exact_ones_at_ten_drivers() -> None:
    values = _survey(2_000, [0.5, 0.4, 0.3, 0.3, 0.2, 0.2, 0.1, 0.1, -0.2, 0.0], seed=7)
    corr = np.corrcoef(values, rowvar=False)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    exact = shapley_r2(rxx, rxy)
    sampled = sampled_shapley_r2(rxx, rxy, np.random.default_rng(0), permutations=4_000)
    assert sampled.sum() == pytest.approx(exact.sum(), abs=1e-9)  # every order of entry adds up to R²
    assert sampled == pytest.approx(exact, abs=2e-3)
    names = tuple(f"q{j}" for j in range(10))
    exact_report = _report(values, names, replicates=100)
    sampled_report = _report(values, names, replicates=100, exact_shapley_up_to=0)
    assert any("permutation sampling" in note for note in sampled_report.notes)
    for e, s in zip(exact_report.drivers, sampled_report.drivers, strict=True):
        assert s.shapley == pytest.approx(e.shapley, abs=3e-3)
        assert s.shapley_low == pytest.approx(e.shapley_low, abs=4e-3)
        assert s.shapley_high == pytest.approx(e.shapley_high, abs=4e-3)


def test_eighteen_drivers_get_finite_shapley_values_with_intervals() -> None:
    weights = [0.4, 0.3, 0.3, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.0, 0.0, 0.0, -0.3, 0.2, 0.1]
    values = _survey(3_000, weights, seed=11, correlated=0.2)
    report = _report(values, tuple(f"q{j}" for j in range(18)), replicates=40)
    for d in report.drivers:
        assert all(math.isfinite(v) for v in (d.shapley, d.shapley_low, d.shapley_high)), d
        assert d.shapley_low <= d.shapley <= d.shapley_high
    assert sum(d.shapley for d in report.drivers) == pytest.approx(report.r_squared, abs=1e-6)
    assert not any("relative weights only" in note for note in report.notes)
    assert next(d for d in report.drivers if d.name == "q15").direction == "negative"


def test_performance_and_quadrants_only_for_rating_drivers() -> None:
    rng = np.random.default_rng(3)
    n = 800
    rating = rng.integers(1, 6, n).astype(float)
    tenure = rng.integers(0, 73, n).astype(float)
    charges = rng.uniform(18, 120, n).round(2)
    flag = rng.integers(0, 2, n).astype(float)
    outcome = 0.5 * rating - 0.02 * tenure + 0.01 * charges + 0.3 * flag + rng.normal(size=n)
    mixed = _report(
        np.column_stack([rating, tenure, charges, flag, outcome]), ("staff", "tenure", "charges", "flag")
    )
    found = {d.name: d for d in mixed.drivers}
    assert math.isfinite(found["staff"].performance) and found["staff"].has_performance
    for name in ("tenure", "charges", "flag"):
        assert math.isnan(found[name].performance) and not found[name].has_performance
    assert all(d.quadrant == "" for d in mixed.drivers)
    assert any("no performance for tenure, charges, flag" in note for note in mixed.notes), mixed.notes
    rated = _report(_survey(800, [0.5, 0.3, -0.4, 0.1], seed=4, correlated=0.0), ("a", "b", "c", "d"))
    assert {d.quadrant for d in rated.drivers} <= set(QUADRANTS.values()) and rated.drivers[0].quadrant
    assert rated.scale == "1-5"
    mean_share = np.mean([d.share for d in rated.drivers])
    mean_rating = np.mean([d.performance for d in rated.drivers])
    for d in rated.drivers:  # for the negative driver c, a rating above the mean is the poor side
        good = (d.performance < mean_rating) if d.name == "c" else (d.performance >= mean_rating)
        assert d.quadrant == QUADRANTS[(bool(d.share >= mean_share), bool(good))], d
    assert any("high rating counts as poor performance for c" in note for note in rated.notes)


def test_sampled_shapley_survives_a_driver_asked_twice() -> None:
    values = _survey(1_000, [0.4, 0.3, 0.2] + [0.1] * 14, seed=9)
    twice = np.column_stack([values[:, :1], values])  # the first rating, twice: exactly collinear
    corr = np.corrcoef(twice, rowvar=False)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    sampled = sampled_shapley_r2(rxx, rxy, np.random.default_rng(1))
    r2 = float(rxy @ np.linalg.lstsq(rxx, rxy, rcond=None)[0])
    assert np.isfinite(sampled).all() and sampled.sum() == pytest.approx(r2, abs=1e-6)
    assert sampled[0] == pytest.approx(sampled[1], abs=0.01)  # the two copies share the credit
