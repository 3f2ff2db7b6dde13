"""Every formula checked against hand-computed values."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from cxgap.stats import (
    benjamini_hochberg,
    mean_difference,
    mean_interval,
    nps_difference,
    nps_interval,
    proportion_difference,
    wilson_interval,
)


def test_nps_and_its_multinomial_interval() -> None:
    # 50 promoters, 30 passives, 20 detractors: NPS 30; var = (0.5 + 0.2 - 0.3^2) / 100 = 0.0061
    e = nps_interval(50, 30, 20)
    assert e.value == pytest.approx(30.0)
    assert e.se == pytest.approx(100 * math.sqrt(0.0061))
    assert (e.low, e.high) == pytest.approx((30 - 1.959964 * 7.8102, 30 + 1.959964 * 7.8102), abs=1e-3)
    assert e.n == 100


def test_nps_interval_stays_within_the_scale() -> None:
    e = nps_interval(10, 0, 0)
    assert e.value == 100 and e.high == 100 and e.low == 100  # all promoters: zero variance


def test_wilson_matches_the_published_value() -> None:
    e = wilson_interval(8, 10)  # Newcombe (1998), table I: 0.4902 to 0.9433
    assert (e.low, e.high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    zero = wilson_interval(0, 20)
    assert zero.low == pytest.approx(0.0) and zero.high == pytest.approx(0.1611, abs=1e-4)


def test_mean_t_interval_from_sums() -> None:
    values = [1, 2, 3, 4, 5]
    e = mean_interval(len(values), sum(values), sum(v * v for v in values))
    assert e.value == 3.0
    assert (e.low, e.high) == pytest.approx(
        (3 - 2.776445 * math.sqrt(2.5 / 5), 3 + 2.776445 * math.sqrt(2.5 / 5))
    )


def test_benjamini_hochberg_by_hand() -> None:
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    q = benjamini_hochberg([0.5, float("nan"), 0.01])
    assert q[0] == pytest.approx(0.5) and math.isnan(q[1]) and q[2] == pytest.approx(0.02)


def test_nps_difference_z_test() -> None:
    d = nps_difference((50, 30, 20), (60, 25, 15))
    se = math.sqrt(0.0061 + (0.6 + 0.15 - 0.45**2) / 100) * 100
    assert d.value == pytest.approx(15.0)
    assert d.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(15 / se / math.sqrt(2)))), rel=1e-6)


def test_proportion_difference_pooled_z() -> None:
    d = proportion_difference((30, 100), (45, 100))
    pooled = 0.375
    z = 0.15 / math.sqrt(pooled * (1 - pooled) * 0.02)
    assert d.value == pytest.approx(0.15)
    assert d.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-6)


def test_welch_difference_of_means() -> None:
    a, b = [1, 2, 3, 4, 5], [2, 4, 6, 8, 10, 12]
    d = mean_difference((5, sum(a), sum(x * x for x in a)), (6, sum(b), sum(x * x for x in b)))
    assert d.value == pytest.approx(4.0)
    expected = stats.ttest_ind(b, a, equal_var=False)  # independent implementation on the raw values
    assert d.p_value == pytest.approx(expected.pvalue, rel=1e-9)
