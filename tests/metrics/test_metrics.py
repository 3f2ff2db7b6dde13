"""CX metrics from the store: hand-countable fixtures, intervals, min-n, survey kinds apart, both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pytest

from cxgap.engine import Engine, Filters
from cxgap.errors import CxgapError
from cxgap.metrics import change, score
from cxgap.stats import mean_interval, nps_difference, nps_interval, wilson_interval
from cxgap.store import Store, insert_new


def _responses() -> pd.DataFrame:
    """Relational: January 20 promoters, 10 passives, 10 detractors (NPS 25); February 30/5/5 (NPS 62.5).
    Transactional support: 35 answers with CSAT 5 x15, 4 x10, 2 x10; installation: 5 answers (too few)."""
    rows = []

    def add(kind: str, touchpoint: str | None, month: int, count: int, **values: int) -> None:
        for _ in range(count):
            i = len(rows)
            rows.append(
                {
                    "response_id": f"R{i:03d}",
                    "customer_id": f"C{i % 7}",
                    "survey_kind": kind,
                    "touchpoint": touchpoint,
                    "responded_at": dt.datetime(2024, month, 1 + i % 27, 12),
                    **values,
                }
            )

    add("relational", None, 1, 20, nps=9)
    add("relational", None, 1, 10, nps=7)
    add("relational", None, 1, 10, nps=2)
    add("relational", None, 2, 30, nps=10)
    add("relational", None, 2, 5, nps=8)
    add("relational", None, 2, 5, nps=6)
    add("transactional", "support", 1, 15, csat=5, ces=7)
    add("transactional", "support", 1, 10, csat=4, ces=5)
    add("transactional", "support", 2, 10, csat=2, ces=2)
    add("transactional", "installation", 1, 5, csat=5, ces=6)
    return pd.DataFrame(rows)


@pytest.fixture
def engine(store: Store) -> Iterator[Engine]:
    with store.begin() as conn:
        insert_new(conn, "responses", pa.Table.from_pandas(_responses(), preserve_index=False))
        customers = pd.DataFrame(
            {
                "customer_id": [f"C{i}" for i in range(7)],
                "segment": ["consumer"] * 5 + ["business"] * 2,
                "churned": [False] * 7,
            }
        )
        insert_new(conn, "customers", pa.Table.from_pandas(customers, preserve_index=False))
    yield Engine(store)


def test_nps_overall_matches_the_hand_count(engine: Engine) -> None:
    frame = score(engine, "nps").to_frame()
    relational = frame[frame.survey_kind == "relational"].iloc[0]
    expected = nps_interval(50, 15, 15)  # both months: NPS (50 - 15) / 80 = 43.75
    assert relational.n == 80 and relational.value == pytest.approx(43.75)
    assert (relational.low, relational.high) == pytest.approx((expected.low, expected.high))


def test_survey_kinds_are_never_mixed(engine: Engine) -> None:
    frame = score(engine, "csat", ("touchpoint",)).to_frame()
    assert list(frame.columns[:2]) == ["survey_kind", "touchpoint"]
    assert set(frame.survey_kind) == {"transactional"}


def test_csat_mean_and_top2_with_intervals_and_min_n(engine: Engine) -> None:
    mean = score(engine, "csat", ("touchpoint",)).to_frame().set_index("touchpoint")
    values = [5] * 15 + [4] * 10 + [2] * 10
    expected = mean_interval(len(values), sum(values), sum(v * v for v in values))
    assert mean.loc["support", "value"] == pytest.approx(expected.value)
    assert mean.loc["support", "high"] == pytest.approx(expected.high)
    assert mean.loc["installation", "status"] == "insufficient data (n=5 < 30)"
    assert pd.isna(mean.loc["installation", "value"])
    top2 = score(engine, "csat_top2", ("touchpoint",)).to_frame().set_index("touchpoint")
    assert top2.loc["support", "low"] == pytest.approx(wilson_interval(25, 35).low)


def test_nps_by_month_and_by_segment(engine: Engine) -> None:
    by_month = score(engine, "nps", ("period",)).to_frame()
    months = by_month[by_month.survey_kind == "relational"].set_index("period")["value"]
    assert months.tolist() == pytest.approx([25.0, 62.5])
    by_segment = score(engine, "nps", ("segment",), min_n=2).to_frame()
    assert by_segment[by_segment.survey_kind == "relational"].n.sum() == 80


def test_filters_narrow_the_responses_by_month_segment_and_touchpoint(engine: Engine) -> None:
    february = score(engine, "nps", filters=Filters(since="2024-02", until="2024-02")).to_frame()
    assert february.n.tolist() == [40] and february.value.tolist() == pytest.approx([62.5])
    consumers = score(engine, "nps", ("segment",), min_n=2).to_frame().set_index("segment")
    only = score(engine, "nps", filters=Filters(segment="consumer"), min_n=2).to_frame()
    assert only.n.tolist() == [consumers.loc["consumer", "n"]]
    assert only.value.tolist() == pytest.approx([consumers.loc["consumer", "value"]])
    support = score(engine, "csat", filters=Filters(touchpoint="support")).to_frame()
    assert support.n.tolist() == [35]


def test_change_between_periods(engine: Engine) -> None:
    frame = change(engine, "nps", ("2024-01-01", "2024-02-01"), ("2024-02-01", "2024-03-01")).to_frame()
    row = frame[frame.survey_kind == "relational"].iloc[0]
    expected = nps_difference((20, 10, 10), (30, 5, 5))
    assert row.change == pytest.approx(37.5)
    assert (row.low, row.high, row.p_value) == pytest.approx((expected.low, expected.high, expected.p_value))


def test_bad_requests_are_one_sentence(engine: Engine) -> None:
    with pytest.raises(CxgapError, match="Unknown metric 'nsp'"):
        score(engine, "nsp")
    with pytest.raises(CxgapError, match="Cannot group by 'weather'"):
        score(engine, "nps", ("weather",))


@pytest.mark.postgres
def test_duckdb_and_postgres_give_identical_numbers(duckdb_url: str, pg_url: str) -> None:
    frames = []
    for url in (duckdb_url, pg_url):
        store = Store(url)
        with store.begin() as conn:
            insert_new(conn, "responses", pa.Table.from_pandas(_responses(), preserve_index=False))
        engine = Engine(store)
        frames.append(
            [
                score(engine, m, ("touchpoint", "period")).to_frame()
                for m in ("nps", "csat", "csat_top2", "ces")
            ]
        )
        store.close()
    for duck, pg in zip(*frames, strict=True):
        pd.testing.assert_frame_equal(
            duck.reset_index(drop=True), pg.reset_index(drop=True), check_dtype=False
        )
