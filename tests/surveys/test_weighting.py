"""Raking, Kish's design effect and effective n, and weighted NPS and means, against reference computations
done another way (an independent per-respondent raking loop, the textbook formulas on expanded weights)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxgap.errors import CxgapError
from cxgap.stats import mean_interval, nps_interval
from cxgap.surveys.weighting import design_effect, effective_n, rake, weighted_mean, weighted_nps

MARGINS = {"segment": {"consumer": 0.5, "business": 0.5}, "tenure": {"new": 0.6, "old": 0.4}}


def _cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["consumer", "consumer", "business", "business"],
            "tenure": ["new", "old", "new", "old"],
            "n": [10, 20, 30, 40],
        }
    )


def _reference_rake(people: pd.DataFrame, margins: dict[str, dict[str, float]], sweeps: int) -> np.ndarray:
    """Textbook IPF, one respondent per row: divide by the achieved share, multiply by the target."""
    w = np.ones(len(people))
    for _ in range(sweeps):
        for variable, target in margins.items():
            achieved = pd.Series(w).groupby(people[variable].to_numpy()).sum() / w.sum()
            w = w * people[variable].map(lambda c, t=target, a=achieved: t[c] / a[c]).to_numpy()
    return w * len(w) / w.sum()


def _people(cells: pd.DataFrame) -> pd.DataFrame:
    return cells.loc[cells.index.repeat(cells["n"])].reset_index(drop=True)


def test_raking_hits_every_margin_and_matches_a_per_respondent_reference() -> None:
    cells = _cells()
    weights = rake(cells, MARGINS, counts="n")
    assert weights.converged and weights.iterations < 20 and weights.n == 100
    people = _people(cells)
    expanded = np.repeat(weights.weights, cells["n"])
    for variable, target in MARGINS.items():
        shares = pd.Series(expanded).groupby(people[variable]).sum() / expanded.sum()
        assert shares.to_dict() == pytest.approx(target, abs=1e-9)
    assert expanded == pytest.approx(_reference_rake(people, MARGINS, 50), rel=1e-9)
    assert expanded.mean() == pytest.approx(1.0)


def test_design_effect_and_effective_n_are_kish_on_the_expanded_weights() -> None:
    cells = _cells()
    weights = rake(cells, MARGINS, counts="n")
    expanded = np.repeat(weights.weights, cells["n"])
    cv = expanded.std(ddof=0) / expanded.mean()
    assert weights.design_effect == pytest.approx(1 + cv**2, abs=1e-12)
    assert weights.effective_n == pytest.approx(expanded.sum() ** 2 / (expanded**2).sum(), abs=1e-9)
    assert weights.effective_n == pytest.approx(100 / weights.design_effect)
    assert (design_effect(expanded), effective_n(expanded)) == pytest.approx(
        (weights.design_effect, weights.effective_n)
    )
    assert design_effect(np.ones(7)) == 1.0 and effective_n(np.ones(7)) == 7.0


def test_targets_may_be_counts_and_equal_weights_need_no_change() -> None:
    cells = _cells()
    counts = {"segment": {"consumer": 30, "business": 70}, "tenure": {"new": 40, "old": 60}}
    weights = rake(cells, counts, counts="n")
    assert weights.converged and weights.weights == pytest.approx(np.ones(4))
    assert weights.design_effect == pytest.approx(1.0) and weights.effective_n == pytest.approx(100)


def test_a_target_category_without_respondents_is_named() -> None:
    margins = {"segment": {"consumer": 0.4, "business": 0.4, "SME": 0.2}}
    with pytest.raises(CxgapError) as raised:
        rake(_cells(), margins, counts="n")
    assert str(raised.value) == "segment 'SME' has no respondents; merge it or drop the margin."


@pytest.mark.parametrize(
    ("margins", "says"),
    [
        ({"segment": {"consumer": 1.0}}, "segment 'business' has respondents but no share"),
        ({"region": {"north": 1.0}}, "The margin 'region' is not a column"),
        ({"segment": {"consumer": -1.0, "business": 2.0}}, "non-negative targets"),
        ({}, "at least one margin"),
    ],
)
def test_margins_that_cannot_be_raked_to_are_one_sentence(margins: dict, says: str) -> None:
    with pytest.raises(CxgapError, match=says):
        rake(_cells(), margins, counts="n")


def test_no_respondents_is_one_sentence() -> None:
    with pytest.raises(CxgapError, match="no respondents to weight"):
        rake(_cells().iloc[:0], MARGINS, counts="n")


def test_trimming_caps_the_weights_and_re_rakes_to_the_margins() -> None:
    rng = np.random.default_rng(3)
    segment = rng.choice(["a", "b", "c"], 600, p=[0.6, 0.3, 0.1])
    tenure = np.where(
        segment == "c", rng.choice(["new", "old"], 600, p=[0.1, 0.9]), rng.choice(["new", "old"], 600)
    )
    people = pd.DataFrame({"segment": segment, "tenure": tenure})
    margins = {"segment": {"a": 0.45, "b": 0.3, "c": 0.25}, "tenure": {"new": 0.5, "old": 0.5}}
    free = rake(people, margins)
    assert free.weights.max() / free.weights.mean() > 4
    capped = rake(people, margins, trim=(0.3, 3.5), max_iter=500)
    assert capped.converged and capped.trimmed
    assert capped.weights.max() / capped.weights.mean() <= 3.5 + 1e-6
    assert capped.design_effect < free.design_effect
    for variable, target in margins.items():
        shares = pd.Series(capped.weights).groupby(people[variable]).sum() / capped.weights.sum()
        assert shares.to_dict() == pytest.approx(target, abs=1e-8)


def test_targets_out_of_reach_do_not_converge_and_say_so() -> None:
    capped = rake(_cells(), {"segment": {"consumer": 0.9, "business": 0.1}}, counts="n", trim=(0.5, 2.0))
    assert not capped.converged and capped.iterations == 100
    once = rake(_cells(), MARGINS, counts="n", max_iter=1)
    assert not once.converged and once.iterations == 1


def test_equal_weights_give_the_unweighted_intervals() -> None:
    scores = np.array([10] * 30 + [8] * 15 + [3] * 12)
    ones = np.ones(len(scores))
    nps = weighted_nps(ones, ones, scores >= 9, scores <= 6)
    assert nps == nps_interval(30, 15, 12)
    ratings = np.array([5, 4, 4, 3, 5, 1, 2, 5, 4, 4] * 4, dtype=float)
    mean = weighted_mean(ones[:40], ones[:40], ratings, ratings**2)
    expected = mean_interval(40, ratings.sum(), (ratings**2).sum())
    assert (mean.value, mean.low, mean.high) == pytest.approx((expected.value, expected.low, expected.high))


def test_weighted_nps_uses_the_multinomial_variance_on_the_effective_n() -> None:
    cells = pd.DataFrame(
        {"n": [40, 60], "promoters": [30, 12], "detractors": [4, 30]}, index=["consumer", "business"]
    )
    w = np.array([0.5, 4 / 3])  # the cells carry half and two thirds of the weighted total
    e = weighted_nps(w, cells["n"], cells["promoters"], cells["detractors"])
    total = (w * cells["n"]).sum()
    p_pro, p_det = (w * cells["promoters"]).sum() / total, (w * cells["detractors"]).sum() / total
    n_eff = total**2 / (w**2 * cells["n"]).sum()
    se = np.sqrt((p_pro + p_det - (p_pro - p_det) ** 2) / n_eff)
    assert e.value == pytest.approx(100 * (p_pro - p_det)) and e.se == pytest.approx(100 * se)
    assert (e.low, e.high) == pytest.approx((e.value - 1.959964 * e.se, e.value + 1.959964 * e.se))
    assert e.n == 100


def test_weighted_mean_from_cells_equals_the_reference_on_respondents() -> None:
    """Reference: the weighted mean with statsmodels' DescrStatsW formula (weights scaled to sum to the
    effective n, std_mean = sd_w / sqrt(n_eff - 1), t on n_eff - 1), on one row per respondent."""
    rng = np.random.default_rng(11)
    x = rng.integers(1, 6, 500).astype(float)
    group = rng.integers(0, 4, 500)
    cell_weights = np.array([0.6, 1.1, 1.7, 2.5])
    frame = (
        pd.DataFrame({"g": group, "x": x, "x2": x**2})
        .groupby("g")
        .agg(n=("x", "size"), total=("x", "sum"), total_sq=("x2", "sum"))
    )
    e = weighted_mean(cell_weights, frame["n"], frame["total"], frame["total_sq"])
    w = cell_weights[group]
    n_eff = w.sum() ** 2 / (w**2).sum()
    mean = np.average(x, weights=w)
    sd = np.sqrt(np.average((x - mean) ** 2, weights=w))
    se = sd / np.sqrt(n_eff - 1)
    half = stats.t.ppf(0.975, n_eff - 1) * se
    assert (e.value, e.low, e.high, e.se) == pytest.approx((mean, mean - half, mean + half, se), rel=1e-12)
