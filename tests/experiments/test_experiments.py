"""Experiments: hand-checked formulas, A/A tests that rarely flag, A/B tests that reach the stated power."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cxgap.engine import Engine
from cxgap.errors import CxgapError, InputFileError
from cxgap.experiments import (
    Cell,
    compare,
    compare_periods,
    decide,
    experiment,
    nps_sample_size,
    read_assignments,
    share_sample_size,
)
from cxgap.stats import Difference, wilson_interval


def _nps_cell(counts: np.ndarray) -> Cell:
    promoters, passives, detractors = (int(c) for c in counts)
    return Cell(promoters + passives + detractors, promoters=promoters, detractors=detractors)


def test_sample_size_by_hand() -> None:
    size = nps_sample_size(10, promoters=0.35, detractors=0.25)
    sd = 100 * np.sqrt(0.35 + 0.25 - 0.1**2)
    assert size.sd == pytest.approx(sd)
    assert size.per_arm == int(np.ceil(2 * ((1.959964 + 0.841621) * sd / 10) ** 2))
    assert size.total == 2 * size.per_arm
    assert share_sample_size(0.02, 0.10).per_arm == int(
        np.ceil(2 * ((1.959964 + 0.841621) * 0.3 / 0.02) ** 2)
    )
    with pytest.raises(ValueError):
        nps_sample_size(0)


def test_decisions_follow_the_interval() -> None:
    def diff(low: float, high: float) -> Difference:
        return Difference((low + high) / 2, low, high, 0.5, 100, 100)

    assert decide(diff(1, 5), higher_is_better=True)[0] == "persevere"
    assert decide(diff(-5, -1), higher_is_better=True)[0] == "pivot"
    assert decide(diff(-1, 5), higher_is_better=True)[0] == "not enough evidence yet"
    assert decide(diff(-0.05, -0.01), higher_is_better=False)[0] == "persevere"  # churn fell
    assert decide(diff(0.5, 2), higher_is_better=True, min_effect=3)[0] == "pivot"  # too small to matter
    assert decide(diff(0.5, 4), higher_is_better=True, min_effect=3)[0] == "not enough evidence yet"


def test_difference_in_differences_by_hand() -> None:
    def mean_cell(values: list[float]) -> Cell:
        x = np.array(values)
        return Cell(len(x), total=float(x.sum()), total_sq=float((x * x).sum()))

    cells = {
        ("control", "before"): mean_cell([3, 4, 5, 4]),
        ("control", "after"): mean_cell([4, 5, 5, 4]),
        ("treatment", "before"): mean_cell([3, 3, 4, 4]),
        ("treatment", "after"): mean_cell([5, 5, 4, 6]),
    }
    result = compare_periods("csat", cells)
    assert result.difference.value == pytest.approx((5.0 - 3.5) - (4.5 - 4.0))
    se = np.sqrt(sum(np.var(v, ddof=1) / 4 for v in ([3, 4, 5, 4], [4, 5, 5, 4], [3, 3, 4, 4], [5, 5, 4, 6])))
    assert result.difference.high - result.difference.value == pytest.approx(1.959964 * se, rel=1e-5)


SHARES = np.array([0.35, 0.40, 0.25])  # promoters, passives, detractors


def _flag_rate(treatment: np.ndarray, n: int, runs: int, seed: int) -> tuple[int, int]:
    rng = np.random.default_rng(seed)
    a = rng.multinomial(n, SHARES, size=runs)
    b = rng.multinomial(n, treatment, size=runs)
    flagged = sum(
        compare("nps", _nps_cell(x), _nps_cell(y)).difference.p_value < 0.05
        for x, y in zip(a, b, strict=True)
    )
    return int(flagged), runs


def test_aa_tests_flag_a_difference_at_most_five_percent_of_the_time() -> None:
    flagged, runs = _flag_rate(SHARES, n=400, runs=2_000, seed=11)
    rate = wilson_interval(flagged, runs, 0.99)
    assert rate.low <= 0.05, f"A/A flagged {flagged}/{runs}"


def test_ab_tests_with_the_calculated_sample_reach_the_stated_power() -> None:
    size = nps_sample_size(10, promoters=0.35, detractors=0.25, power=0.80)
    treatment = np.array([0.40, 0.40, 0.20])  # NPS +10
    hits, runs = _flag_rate(treatment, n=size.per_arm, runs=1_000, seed=12)
    power = wilson_interval(hits, runs, 0.99)
    assert power.high >= 0.80, f"power {hits}/{runs} with n={size.per_arm}"


def test_experiment_on_the_store_matches_a_direct_count(demo_engine: Engine) -> None:
    con = demo_engine.store.duckdb_connection()
    ids = [r[0] for r in con.execute("SELECT customer_id FROM customers ORDER BY customer_id").fetchall()]
    arms = pd.DataFrame({"customer_id": ids, "group": ["control", "treatment"] * (len(ids) // 2)})
    result = experiment(demo_engine, arms, "nps")
    con.register("arms", arms)
    expected = con.execute(
        "SELECT a.group, 100.0 * (avg((nps >= 9)::int) - avg((nps <= 6)::int)), count(*) FROM responses r "
        "JOIN arms a USING (customer_id) WHERE survey_kind = 'relational' AND nps IS NOT NULL GROUP BY 1"
    ).fetchall()
    by_arm = {arm: (score, n) for arm, score, n in expected}
    assert (result.control.value, result.control.n) == pytest.approx(by_arm["control"])
    assert (result.treatment.value, result.treatment.n) == pytest.approx(by_arm["treatment"])
    periods = experiment(demo_engine, arms, "csat", start=dt.date(2025, 6, 1))
    assert periods.design == "difference-in-differences" and periods.difference.low < periods.difference.high
    with pytest.raises(CxgapError, match="Insufficient data"):
        experiment(demo_engine, arms.head(20), "nps")


def test_assignment_files_are_checked_row_by_row(tmp_path) -> None:
    path = tmp_path / "arms.csv"
    path.write_text("customer_id,group\nC1,control\nC2,Treatment\nC3,holdout\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"row 4, column group: expected control or treatment"):
        read_assignments(path)
    path.write_text("customer_id,group\nC1,control\nC1,treatment\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"row 3, column customer_id: 'C1' is assigned twice"):
        read_assignments(path)
    path.write_text("customer_id,group\nC1,control\nC2,TREATMENT\n", encoding="utf-8")
    assert list(read_assignments(path)["group"]) == ["control", "treatment"]
