"""Done when: on a simulated base with planted nonresponse bias, the raked NPS recovers the true NPS within
its interval while the unweighted one misses it; effective n and design effect match a reference raking.

20,000 active customers in three segments with different true NPS and CSAT and very different response
propensities (enterprise customers answer eight times as often as consumers), plus region, tenure and value
that neither drive the scores nor the answering; 1,000 former customers outside the base; 42 anonymous
answers. Seeded, so every figure is the same on every run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cxgap.config import Settings, StoreSettings, demo_settings
from cxgap.engine import Engine, Filters
from cxgap.gaps.scores import headline_scores
from cxgap.store import Store, insert_new
from cxgap.surveys.weighted import WeightedScores, weighted_scores

SEGMENTS = {  # share of the base, promoter and detractor shares, mean CSAT, response propensity
    "consumer": (0.6, 0.20, 0.50, 3.0, 0.05),
    "small business": (0.3, 0.45, 0.25, 3.8, 0.15),
    "enterprise": (0.1, 0.70, 0.10, 4.4, 0.40),
}
PERIOD = Filters(since="2025-01", until="2025-06")
END = dt.date(2025, 7, 1)
ANONYMOUS = 42


@dataclass
class Simulated:
    customers: pd.DataFrame  # the active base, with each customer's would-be answers
    responses: pd.DataFrame
    true_nps: float
    true_csat: float


def simulate(n: int, seed: int) -> Simulated:
    """A base of `n` active customers (and former ones), every one with an NPS and CSAT answer they would
    give; those who answer are drawn by their segment's propensity."""
    rng = np.random.default_rng(seed)
    names = list(SEGMENTS)
    segment = rng.choice(names, n, p=[SEGMENTS[s][0] for s in names])
    pro = np.array([SEGMENTS[s][1] for s in segment])
    det = np.array([SEGMENTS[s][2] for s in segment])
    u = rng.random(n)
    nps = np.where(
        u < pro, rng.integers(9, 11, n), np.where(u < pro + det, rng.integers(0, 7, n), 7 + (u > 0.5))
    )
    csat_mean = np.array([SEGMENTS[s][3] for s in segment])
    csat = np.clip(np.rint(csat_mean + rng.normal(0, 0.9, n)), 1, 5).astype(int)
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "segment": segment,
            "region": rng.choice(["north", "south", "west"], n),
            "started_at": [END - dt.timedelta(days=int(d)) for d in rng.integers(30, 3_650, n)],
            "value": np.round(rng.lognormal(6, 0.8, n), 2),
            "churned": False,
            "nps": nps,
            "csat": csat,
        }
    )
    answers = rng.random(n) < np.array([SEGMENTS[s][4] for s in segment])
    respondents = customers[answers]
    days = rng.integers(0, 181, len(respondents))
    responses = pd.DataFrame(
        {
            "response_id": [f"R{i:05d}" for i in range(len(respondents))],
            "customer_id": respondents["customer_id"].to_numpy(),
            "responded_at": [dt.datetime(2025, 1, 1, 12) + dt.timedelta(days=int(d)) for d in days],
            "survey_kind": "relational",
            "nps": respondents["nps"].to_numpy(),
        }
    )
    transactional = responses.assign(
        response_id=responses["response_id"] + "T",
        survey_kind="transactional",
        nps=None,
        touchpoint="support",
        csat=respondents["csat"].to_numpy(),
    )
    anonymous = pd.DataFrame(
        {
            "response_id": [f"A{i}" for i in range(ANONYMOUS)],
            "customer_id": None,
            "responded_at": dt.datetime(2025, 3, 1),
            "survey_kind": "relational",
            "nps": rng.integers(0, 11, ANONYMOUS),
        }
    )
    true_nps = 100 * ((customers["nps"] >= 9).mean() - (customers["nps"] <= 6).mean())
    return Simulated(
        customers, pd.concat([responses, transactional, anonymous]), true_nps, customers["csat"].mean()
    )


def _former(count: int) -> pd.DataFrame:
    """Customers who left before the period: outside the base, however they look."""
    return pd.DataFrame(
        {
            "customer_id": [f"F{i}" for i in range(count)],
            "segment": "consumer",
            "region": "north",
            "started_at": dt.date(2015, 1, 1),
            "ended_at": dt.date(2024, 6, 30),
            "churned": True,
            "value": 10.0,
        }
    )


def write(store: Store, simulated: Simulated) -> None:
    with store.begin() as conn:
        customers = pd.concat([simulated.customers.drop(columns=["nps", "csat"]), _former(1_000)])
        insert_new(conn, "customers", pa.Table.from_pandas(customers, preserve_index=False))
        insert_new(conn, "responses", pa.Table.from_pandas(simulated.responses, preserve_index=False))


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulated, Engine, Settings]]:
    simulated = simulate(20_000, seed=19)
    url = f"duckdb:///{Path(tmp_path_factory.mktemp('weighted')) / 'base.duckdb'}"
    store = Store(url)
    write(store, simulated)
    engine = Engine(store)
    yield simulated, engine, demo_settings(store=StoreSettings(url=url))
    engine.close()
    store.close()


def _bands(customers: pd.DataFrame) -> pd.DataFrame:
    """The base's categories computed here with pandas: tenure at the period's end, value quartiles
    (linear interpolation, as percentile_cont), the same bands the store's engine computes."""
    started = pd.to_datetime(customers["started_at"])
    tenure = np.where(
        started > pd.Timestamp(dt.date(2024, 7, 1)),
        "under 1 year",
        np.where(started > pd.Timestamp(dt.date(2022, 7, 1)), "1 to 3 years", "3 years or more"),
    )
    cuts = np.quantile(customers["value"], [0.25, 0.5, 0.75])
    value = np.select(
        [customers["value"] <= c for c in cuts], ["Q1 (lowest value)", "Q2", "Q3"], "Q4 (highest value)"
    )
    return customers.assign(tenure=tenure, value_band=value)


def _reference_rake(people: pd.DataFrame, base: pd.DataFrame, variables: tuple[str, ...]) -> np.ndarray:
    """Textbook IPF on one row per respondent, to the base's shares, run until the weights stop moving."""
    steps = []
    for v in variables:
        codes, categories = pd.factorize(people[v])
        steps.append((codes, base[v].value_counts(normalize=True)[categories].to_numpy()))
    w = np.ones(len(people))
    for _ in range(1_000):
        before = w.copy()
        for codes, target in steps:
            w = w * (target / (np.bincount(codes, weights=w) / w.sum()))[codes]
        if np.abs(w - before).max() < 1e-13:
            break
    return w * len(w) / w.sum()


def test_the_raked_nps_recovers_the_true_nps_that_the_unweighted_one_misses(planted) -> None:
    simulated, engine, settings = planted
    result = weighted_scores(engine, settings, PERIOD)
    nps = result.get("nps")
    assert nps is not None and nps.unweighted is not None and nps.weighted is not None
    raw, raked = nps.unweighted.estimate, nps.weighted
    assert raw is not None
    truth = simulated.true_nps
    # the unweighted figure misses the truth by well over its interval's half-width
    assert truth < raw.low and raw.value - truth > 3 * (raw.high - raw.value)
    assert raked.low <= truth <= raked.high
    assert abs(raked.value - truth) < abs(raw.value - truth) / 4
    assert nps.difference == pytest.approx(raked.value - raw.value)
    assert nps.design_effect > 1.5 and nps.effective_n < nps.respondents
    csat = result.get("csat")
    assert csat is not None and csat.weighted is not None and csat.unweighted and csat.unweighted.estimate
    assert csat.weighted.low <= simulated.true_csat <= csat.weighted.high
    assert not csat.unweighted.estimate.low <= simulated.true_csat <= csat.unweighted.estimate.high


def _matches_the_reference(simulated: Simulated, result: WeightedScores) -> None:
    """Effective n, design effect and the weighted NPS equal those of a reference raking done here."""
    nps = result.get("nps")
    assert nps is not None and nps.effective_n is not None and nps.design_effect is not None
    assert result.variables == ("segment", "region", "tenure", "value_band")
    base = _bands(simulated.customers)
    answered = simulated.responses.query("survey_kind == 'relational'").dropna(subset=["customer_id"])
    people = answered[["customer_id"]].merge(base, on="customer_id")
    w = _reference_rake(people, base, result.variables)
    assert nps.effective_n == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-9)
    assert nps.design_effect == pytest.approx(1 + (w.std(ddof=0) / w.mean()) ** 2, rel=1e-9)
    p_pro = np.average(people["nps"] >= 9, weights=w) - np.average(people["nps"] <= 6, weights=w)
    assert nps.weighted is not None and nps.weighted.value == pytest.approx(100 * p_pro, rel=1e-9)
    assert result.margins["segment"] == pytest.approx(base["segment"].value_counts(normalize=True).to_dict())


def test_effective_n_and_design_effect_match_a_reference_raking(planted) -> None:
    simulated, engine, settings = planted
    _matches_the_reference(simulated, weighted_scores(engine, settings, PERIOD))


def test_each_backend_weighs_alike(store: Store) -> None:
    simulated = simulate(3_000, seed=8)
    write(store, simulated)
    _matches_the_reference(
        simulated, weighted_scores(store, demo_settings(store=StoreSettings(url=store.url)), PERIOD)
    )


def test_unweighted_figures_are_the_dashboards_and_anonymous_answers_are_counted(planted) -> None:
    _, engine, settings = planted
    result = weighted_scores(engine, settings, PERIOD)
    headline = headline_scores(engine, settings, PERIOD)
    for metric in ("nps", "csat"):
        found = result.get(metric)
        assert found is not None and found.unweighted == headline[metric]
    nps = result.get("nps")
    assert nps is not None and nps.not_weighted == ANONYMOUS
    assert nps.note() == "42 anonymous or unmatched answers are not weighted"
    assert result.base_customers == 20_000  # the former customers are not in the base
    assert result.describe() == (
        "Weighted to 20,000 customers active 2025-01-01 to 2025-06-30 by segment, region, tenure, value band."
    )
    ces = result.get("ces")
    assert ces is not None and ces.reason == "no answers" and ces.figure() == "no answers"
    frame = result.to_frame()
    assert list(frame.metric) == ["nps", "csat", "ces"]
    assert frame.loc[0, "effective_n"] == pytest.approx(nps.effective_n)
    assert "effective n=" in nps.figure() and "design effect" in nps.figure()


def test_a_segment_slice_is_weighted_to_that_segments_base(planted) -> None:
    simulated, engine, settings = planted
    slice_ = Filters(since="2025-01", until="2025-06", segment="enterprise")
    result = weighted_scores(engine, settings, slice_)
    assert "segment" not in result.variables
    enterprise = simulated.customers.query("segment == 'enterprise'")
    assert result.base_customers == len(enterprise)
    nps = result.get("nps")
    assert nps is not None and nps.weighted is not None and nps.not_weighted == 0
    assert nps.design_effect < 1.1  # nothing but segment drives answering: little to correct


def test_a_base_category_nobody_answered_from_is_said_not_weighted(store: Store) -> None:
    simulated = simulate(1_500, seed=5)
    simulated.customers.loc[simulated.customers.index[:40], "region"] = "islands"
    islanders = set(simulated.customers["customer_id"][:40])
    simulated.responses = simulated.responses[~simulated.responses["customer_id"].isin(islanders)]
    write(store, simulated)
    settings = demo_settings(store=StoreSettings(url=store.url))
    result = weighted_scores(store, settings, PERIOD)
    nps = result.get("nps")
    assert nps is not None and nps.weighted is None and nps.unweighted is not None
    assert nps.reason == "region 'islands' has no respondents; merge it or drop the margin."
    assert nps.figure() == nps.reason


def test_a_store_without_answers_has_nothing_to_weight(duck_store: Store) -> None:
    result = weighted_scores(duck_store, demo_settings(store=StoreSettings(url=duck_store.url)))
    assert isinstance(result, WeightedScores) and result.period is None
    assert [s.reason for s in result.scores] == ["no answers"] * 3
    assert result.describe() == "No survey answers in this slice to weight."  # not a missing base
