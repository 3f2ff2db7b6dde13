"""An items survey modelled on the public airline satisfaction survey: 14 service ratings on 1-5 where 0
means "not applicable" for some services, satisfaction on 1-7 and the likelihood to recommend coded 1-11.

Imported on both backends, nothing is quarantined for N/A, the N/A cells are absent from every mean (item
means read through the gaps API from the store's rollups equal pandas' means without the zeros),
satisfaction is stored exactly on 1-5 and the NPS is the 1-11 answer less one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from cxgap.config import Settings
from cxgap.engine import Engine
from cxgap.gaps.scores import scores_by_kind
from cxgap.gaps.voice import item_sums
from cxgap.io import import_file, load_mapping
from cxgap.store import Store

SERVICES = {
    "Inflight wifi service": "inflight_wifi",
    "Departure/Arrival time convenient": "time_convenient",
    "Ease of Online booking": "online_booking",
    "Gate location": "gate_location",
    "Food and drink": "food_and_drink",
    "Online boarding": "online_boarding",
    "Seat comfort": "seat_comfort",
    "Inflight entertainment": "inflight_entertainment",
    "On-board service": "onboard_service",
    "Leg room service": "leg_room",
    "Baggage handling": "baggage_handling",
    "Checkin service": "checkin_service",
    "Inflight service": "inflight_service",
    "Cleanliness": "cleanliness",
}
NOT_APPLICABLE = ("Inflight wifi service", "Ease of Online booking", "Food and drink", "Online boarding")
ROWS = 90

MAPPING = """
table = "responses"
item_scale = [1, 5]   # the services' ratings
item_na = [0]         # 0: the passenger did not use the service

[columns]
response_id = "id"
responded_at = "Date"
csat = "Satisfaction"
nps = "Likelihood to recommend"

[constants]
survey_kind = "relational"

[scales]
csat = [1, 7]
nps = [1, 11]

[items]
""" + "\n".join(f'"{source}" = {{ item = "{code}" }}' for source, code in SERVICES.items())


def _survey() -> pd.DataFrame:
    """The answers: ratings 1-5, with 0 (N/A) in about one cell in six of the services some skip."""
    rng = np.random.default_rng(21)
    frame = pd.DataFrame(
        {
            "id": [f"A{i:03d}" for i in range(ROWS)],
            "Date": pd.date_range("2024-01-01", periods=ROWS, freq="D").strftime("%Y-%m-%d"),
        }
    )
    for source in SERVICES:
        ratings = rng.integers(1, 6, ROWS)
        if source in NOT_APPLICABLE:
            ratings[rng.random(ROWS) < 0.17] = 0
        frame[source] = ratings
    frame["Satisfaction"] = rng.integers(1, 8, ROWS)
    frame["Likelihood to recommend"] = rng.integers(1, 12, ROWS)
    frame.loc[0, "Satisfaction"] = 6
    return frame


@pytest.fixture
def airline(store: Store, tmp_path: Path) -> tuple[Store, pd.DataFrame]:
    survey = _survey()
    (tmp_path / "airline.csv").write_text(survey.to_csv(index=False), encoding="utf-8")
    (tmp_path / "airline.toml").write_text(MAPPING, encoding="utf-8")
    summary = import_file(store, tmp_path / "airline.csv", load_mapping(tmp_path / "airline.toml"))
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (ROWS, ROWS, 0)
    assert summary.reconciles
    answered = int((survey[list(SERVICES)] != 0).to_numpy().sum())
    assert 0 < ROWS * len(SERVICES) - answered and summary.items_loaded == answered
    return store, survey


def test_not_applicable_cells_are_absent_from_every_item_mean(airline: tuple[Store, pd.DataFrame]) -> None:
    store, survey = airline
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM response_items")).scalar_one()
    assert stored == int((survey[list(SERVICES)] != 0).to_numpy().sum())
    engine = Engine(store)
    sums = item_sums(engine, {code: code for code in SERVICES.values()}).perception
    engine.close()
    for source, code in SERVICES.items():
        answered = survey.loc[survey[source] != 0, source]
        n, total, _ = sums[(None, code)]
        assert n == len(answered)
        assert total / n == pytest.approx((1 + (answered - 1) * 6 / 4).mean(), abs=1e-12), source


def test_satisfaction_is_stored_exactly_and_nps_is_the_answer_less_one(
    airline: tuple[Store, pd.DataFrame],
) -> None:
    store, survey = airline
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT response_id, csat, nps FROM responses ORDER BY 1")).all()
    stored = pd.DataFrame(rows, columns=["id", "csat", "nps"]).set_index("id")
    source = survey.set_index("id")
    assert stored.loc["A000", "csat"] == pytest.approx(4.333333333333333, abs=1e-12)
    expected = 1 + (source["Satisfaction"] - 1) * 4 / 6
    assert np.allclose(stored["csat"].to_numpy(float), expected.to_numpy(float), rtol=0, atol=1e-12)
    assert (stored["nps"] == source["Likelihood to recommend"] - 1).all()
    assert stored["nps"].between(0, 10).all()


def test_scores_read_the_converted_answers(airline: tuple[Store, pd.DataFrame]) -> None:
    store, survey = airline
    engine = Engine(store)
    scores = {s.metric: s for s in scores_by_kind(engine, Settings())}
    engine.close()
    nps = survey["Likelihood to recommend"] - 1
    expected = 100 * ((nps >= 9).mean() - (nps <= 6).mean())
    assert scores["nps"].n == ROWS and scores["nps"].estimate is not None
    assert scores["nps"].estimate.value == pytest.approx(expected, abs=1e-9)
    csat = scores["csat"].estimate
    assert csat is not None and scores["csat"].n == ROWS
    assert csat.value == pytest.approx((1 + (survey["Satisfaction"] - 1) * 4 / 6).mean(), abs=1e-12)
    assert csat.low < csat.value < csat.high
