"""The records behind a number, on a small demo store on both backends: each narrowing returns exactly the
rows an independent pandas reading of the raw tables finds, pages cover every record once in order, the
export streams the same rows as the pages, and a customer's timeline holds every record of theirs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from cxgap.config import demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import Engine, Filters
from cxgap.errors import CxgapError, NotFound
from cxgap.metrics import score
from cxgap.records import Narrowing, ThemeTexts, customer_record, page_of, stream
from cxgap.store import Store

SETTINGS = demo_settings()


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A 400-customer demo store (seed 7), once per backend."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('records') / 'demo.duckdb'}"
    else:
        from tests.conftest import _reset_pg

        url = str(request.getfixturevalue("pg_database"))
        _reset_pg(url)
    store = Store(url)
    write_demo(store, simulate(400, seed=7))
    found = Engine(store)
    yield found
    found.close()
    store.close()


def raw(engine: Engine, table: str) -> pd.DataFrame:
    """A whole table read with SQLAlchemy, independently of the engine."""
    with engine.store.engine.connect() as conn:
        return pd.read_sql(sa.text(f"SELECT * FROM {table}"), conn)


def every(
    engine: Engine, records: str, filters: Filters, narrow: Narrowing, sort: str | None = None
) -> list[dict[str, Any]]:
    """Every record, page after page (small pages, so paging is exercised)."""
    first = page_of(engine, SETTINGS, records, filters, narrow, sort, 1, page_size=7)
    rows = list(first.rows)
    for number in range(2, first.pages + 1):
        rows += page_of(engine, SETTINGS, records, filters, narrow, sort, number, page_size=7).rows
    assert len(rows) == first.total
    return rows


def test_the_responses_of_an_item_are_those_that_rated_it_with_their_p_minus_e(engine: Engine) -> None:
    responses, items, customers = (
        raw(engine, "responses"),
        raw(engine, "response_items"),
        raw(engine, "customers"),
    )
    consumers = set(customers.customer_id[customers.segment == "consumer"])
    rated = items[items.item == "as_promised"].set_index("response_id")
    wanted = responses[responses.response_id.isin(rated.index) & responses.customer_id.isin(consumers)]
    rows = every(
        engine, "responses", Filters(segment="consumer"), Narrowing(kind="customer", item="as_promised")
    )
    assert {r["response_id"] for r in rows} == set(wanted.response_id) and rows
    for r in rows:
        expected = rated.loc[r["response_id"], "perception"] - rated.loc[r["response_id"], "expectation"]
        assert r["p_minus_e"] == pytest.approx(expected) and r["segment"] == "consumer"
    dimension = every(engine, "responses", Filters(), Narrowing(dimension="reliability"))
    reliability = items[items.item.isin(["as_promised", "right_first_time"])]
    assert {r["response_id"] for r in dimension} == set(reliability.response_id)
    assert max(r["items_rated"] for r in dimension) == 2


def test_nps_records_are_the_relational_answers_the_score_counts(engine: Engine) -> None:
    for filters in (Filters(), Filters(segment="enterprise"), Filters(since="2025-01", channel="email")):
        found = page_of(engine, SETTINGS, "responses", filters, Narrowing(metric="nps"))
        cell = score(engine, "nps", (), filters=filters).scores
        n = next((s.n for s in cell if s.group.get("survey_kind") == "relational"), 0)
        assert found.total == n
        assert all(r["survey_kind"] == "relational" and r["nps"] is not None for r in found.rows)


def test_pages_cover_every_record_once_in_the_chosen_order_and_the_export_streams_the_same(
    engine: Engine,
) -> None:
    filters, narrow = Filters(touchpoint="support"), Narrowing(metric="wait_seconds@call")
    rows = every(engine, "interactions", filters, narrow, sort="-wait_seconds")
    i = raw(engine, "interactions")
    calls = i[(i.touchpoint == "support") & (i.kind == "call") & i.wait_seconds.notna()]
    assert sorted(r["interaction_id"] for r in rows) == sorted(calls.interaction_id)
    waits = [r["wait_seconds"] for r in rows]
    assert waits == sorted(waits, reverse=True)
    columns, chunks = stream(engine, SETTINGS, "interactions", filters, narrow, "-wait_seconds", chunk=11)
    streamed = [row for chunk in chunks for row in chunk]
    assert streamed == rows and columns[0] == "interaction_id"


def test_a_page_past_the_last_shows_the_last_and_a_bad_sort_or_narrowing_is_one_sentence(
    engine: Engine,
) -> None:
    found = page_of(engine, SETTINGS, "customers", Filters(), Narrowing(kind="churned"), page=999)
    assert found.page == found.pages and found.rows and all(r["churned"] for r in found.rows)
    for records, narrow, sort in (
        ("responses", Narrowing(item="no_such_item"), None),
        ("interactions", Narrowing(theme="late_engineer"), None),
        ("interactions", Narrowing(metric="smiles"), None),
        ("responses", Narrowing(), "shoe_size"),
    ):
        with pytest.raises(CxgapError) as refused:
            page_of(engine, SETTINGS, records, Filters(), narrow, sort)
        assert str(refused.value).count(".") >= 1 and "\n" not in str(refused.value)


def test_the_comments_of_a_theme_are_exactly_the_texts_assigned_to_it(engine: Engine) -> None:
    feedback, responses = raw(engine, "feedback"), raw(engine, "responses")
    picked = ThemeTexts(
        "late_engineer",
        tuple(feedback.feedback_id[:3]),
        tuple(responses.response_id[responses.comment.notna()][:2]),
        10,
        20,
    )
    found = page_of(engine, SETTINGS, "comments", Filters(), Narrowing(theme="late_engineer"), texts=picked)
    assert {r["comment_id"] for r in found.rows} == set(picked.feedback_ids) | set(picked.response_ids)
    assert found.notes and "sample" in found.notes[0]  # 10 of 20 texts read: the rest are not listed
    with pytest.raises(CxgapError):
        page_of(engine, SETTINGS, "comments", Filters(), Narrowing(theme="late_engineer"))


def test_customers_of_a_period_are_those_active_in_it(engine: Engine) -> None:
    rows = every(engine, "customers", Filters(since="2025-06", until="2025-06"), Narrowing())
    i, r = raw(engine, "interactions"), raw(engine, "responses")
    june = lambda t, col: set(t.customer_id[(t[col] >= "2025-06-01") & (t[col] < "2025-07-01")].dropna())  # noqa: E731
    assert {row["customer_id"] for row in rows} == june(i, "occurred_at") | june(r, "responded_at")
    assert all(row["responses"] + row["interactions"] > 0 for row in rows)


def test_a_customers_timeline_holds_every_record_of_theirs_in_order(engine: Engine) -> None:
    i = raw(engine, "interactions")
    customer = str(i.customer_id.value_counts().index[0])
    found = customer_record(engine, SETTINGS, customer)
    r, f = raw(engine, "responses"), raw(engine, "feedback")
    expected = {
        "interaction": set(i.interaction_id[i.customer_id == customer]),
        "response": set(r.response_id[r.customer_id == customer]),
        "feedback": set(f.feedback_id[f.customer_id == customer]),
    }
    for source, ids in expected.items():
        assert {e.record_id for e in found.events if e.source == source} == ids
    times = [e.at for e in found.events]
    assert times == sorted(times) and found.attributes["segment"]
    rated = [e for e in found.events if e.source == "response" and " of " in e.detail]
    assert all("expected" in e.detail for e in rated)
    with pytest.raises(NotFound):
        customer_record(engine, SETTINGS, "nobody-at-all")


def test_without_an_items_section_the_items_the_ratings_hold_narrow_the_responses(engine: Engine) -> None:
    """A cxgap.toml naming no [items]: each rated item is its own dimension, and an item the ratings do
    not hold is refused in one sentence naming those they do."""
    neutral = SETTINGS.model_copy(update={"items": {}, "dimensions": []})
    items = raw(engine, "response_items")
    rated = set(items.response_id[items.item == "as_promised"])
    found = page_of(engine, neutral, "responses", Filters(), Narrowing(item="as_promised"), page_size=10_000)
    assert {r["response_id"] for r in found.rows} == rated and found.total == len(rated)
    by_dimension = page_of(engine, neutral, "responses", Filters(), Narrowing(dimension="as_promised"))
    assert by_dimension.total == len(rated)
    with pytest.raises(
        CxgapError, match="item = 'as_promisd' is not in the data; choose one of: .*as_promised"
    ):
        page_of(engine, neutral, "responses", Filters(), Narrowing(item="as_promisd"))
